import { shellCommand } from '../../interpreter/connection/quote.js';
import type { Connection } from '../../interpreter/connection/types.js';
import { createDirs, dirChanges, SYSTEM_DIR } from '../common/parents.js';
import { ModuleFailure, type ApplyResult, type Change, type ModuleContext, type Plan } from '../types.js';
import { cacheEntry, timeoutMs, type NvidiaRunArgs } from './args.js';
import { assertIntact, evict, paths, planCache, writeStamp, type CacheEntry, type CacheState, type Stamp } from './cache.js';
import { detectDriver, type InstalledDriver } from './detect.js';
import { downloadToCache } from './download.js';
import { installerCommand, installerFlags } from './flags.js';
import { BLACKLIST_CONTENT, BLACKLIST_FILE, missingBuildDeps, probePrereqs } from './host-prereqs.js';
import { aptInstall, runInstaller } from './install.js';

/** What check mode remembers of a node's planned install (see rememberPlannedDriver). */
export interface PlannedDriver {
  version: string;
  /** The cache file the node's task downloads in this run (not there to hash yet). */
  downloaded?: string;
}

/** What host-mode planning found, for apply. */
export interface HostState {
  mode: 'host';
  entry: CacheEntry;
  cache: CacheState;
  deps: string[];
  blacklist?: string | null;
  nouveauLoaded: boolean;
  /** Directories to create before the blacklist is written (/etc/modprobe.d on an image without kmod). */
  blacklistDirs?: string[];
  /** The installer command, when the configured version is not installed. */
  install?: string;
  before: InstalledDriver;
}

function cacheChange(e: CacheEntry, state: CacheState): Change[] {
  const file = paths(e).file;
  switch (state.kind) {
    case 'fresh': return [];
    case 'verified': return [{ summary: `record that ${file} passed sha256 and --check (sha256 ${state.stamp.sha256})` }];
    case 'corrupt': return [{ summary: `remove corrupt ${file} (${state.why}) and download ${e.url ?? '(no url)'} again` }];
    case 'absent': return [...dirChanges({ ...SYSTEM_DIR, dirs: state.dirs }), { summary: `download ${e.url ?? '(no url)'} to ${file}` + (state.partSize ? ` (resuming after ${state.partSize} bytes)` : '') }];
  }
}

/** Why no install is needed, and whether the node must reboot to load the installed module. */
function installedReason(version: string, d: InstalledDriver): { reason: string; reboot: boolean } {
  const loaded = d.kernel?.version;
  if (loaded === version) return { reason: `driver ${version} already installed (kernel module ${version} loaded)`, reboot: false };
  const why = loaded ? `the loaded kernel module is still ${loaded}` : 'no NVIDIA kernel module is loaded';
  return { reason: `driver ${version} already installed; ${why}: reboot the node`, reboot: true };
}

/** Plans host mode: cache, build deps, nouveau blacklist, install. Reads only. */
export async function planHost(ctx: ModuleContext, args: NvidiaRunArgs): Promise<Plan<HostState>> {
  const entry = cacheEntry(args);
  const cache = await planCache(ctx.conn, entry);
  if ((cache.kind === 'absent' || cache.kind === 'corrupt') && !entry.url) {
    throw new ModuleFailure(`${paths(entry).file} is not usable on ${ctx.host} (${cache.kind}) and no url is given to download it`);
  }
  const prereqs = await probePrereqs(ctx.conn, args.install_build_deps !== false);
  const deps = args.install_build_deps === false ? [] : missingBuildDeps(prereqs, ctx.host);
  const before = await detectDriver(ctx.conn);
  const installed = before.userSpace === args.version;
  // nouveau must be out of the way for an install (the installer aborts on it) or while it is loaded; a node that
  // already runs the configured driver is left as it is.
  const blacklist = !installed || prereqs.nouveauLoaded ? await blacklistBefore(ctx.conn) : undefined;
  const command = installed ? undefined : installerCommand(paths(entry).file, installerFlags('host', args));
  const changes: Change[] = [...cacheChange(entry, cache)];
  if (deps.length) changes.push({ summary: `apt-get install ${deps.join(' ')}` });
  if (blacklist !== undefined) {
    changes.push(...dirChanges({ ...SYSTEM_DIR, dirs: prereqs.blacklistDirs }));
    changes.push({ summary: `write ${BLACKLIST_FILE} and update the initramfs`, diff: { path: BLACKLIST_FILE, before: blacklist ?? '', after: BLACKLIST_CONTENT } });
  }
  if (command) changes.push({ summary: installSummary(args.version, before, command, prereqs.nouveauLoaded) });
  const done = installed ? installedReason(args.version, before) : undefined;
  const downloads = cache.kind === 'absent' || cache.kind === 'corrupt';
  if (command || downloads) rememberPlannedDriver(ctx, args.version, downloads ? paths(entry).file : undefined);
  return {
    changes,
    reason: done?.reason,
    state: { mode: 'host', entry, cache, deps, blacklist, blacklistDirs: prereqs.blacklistDirs, nouveauLoaded: prereqs.nouveauLoaded, install: command, before },
    data: hostData(args, before, done ? done.reboot : await predictReboot(ctx.conn, args.version, before), command),
  };
}

/**
 * Check mode: the node will have this driver loaded and this file in its cache after the real run, for the
 * containers' user space planned later in the run (the lab's stand-in and an idle GPU load the new module at
 * install; a node whose old module is in use says reboot_required).
 */
function rememberPlannedDriver(ctx: ModuleContext, version: string, downloaded?: string): void {
  const planned: PlannedDriver = { version, ...(downloaded ? { downloaded } : {}) };
  ctx.planned?.set('driver', ctx.conn.host, planned);
}

/** The blacklist file's content when it must be (re)written, null when absent; undefined when it is right. */
async function blacklistBefore(conn: Connection): Promise<string | null | undefined> {
  const current = (await conn.get(BLACKLIST_FILE))?.toString('utf8');
  return current === BLACKLIST_CONTENT ? undefined : current ?? null;
}

function installSummary(version: string, d: InstalledDriver, command: string, nouveauLoaded: boolean): string {
  const now = d.userSpace ? `replacing ${d.userSpace}` : 'not installed';
  const stop = nouveauLoaded ? ' (nouveau is loaded: this stops until the node reboots with nouveau blacklisted)' : '';
  return `install driver ${version} (${now}): ${command}${stop}`;
}

/**
 * Processes of the node itself (not of a container: those site.yml stops before the install) holding an NVIDIA
 * device open, e.g. nvidia-persistenced: they keep the old module loaded, so the installer cannot swap it.
 */
const MODULE_HOLDERS = String.raw`for p in /proc/[0-9]*; do
  ls -l "$p/fd" 2>/dev/null | grep -q ' -> /dev/nvidia' || continue
  grep -q 'lxc\.payload\|/lxc/' "$p/cgroup" 2>/dev/null && continue
  printf '%s %s
' "${'$'}{p#/proc/}" "$(cat "$p/comm" 2>/dev/null)"
done; exit 0`;

/**
 * Whether the new module loads only after a reboot: a module of another version is loaded and something on the
 * node outside its containers holds it (with the containers stopped, the installer unloads an idle module itself).
 */
async function predictReboot(conn: Connection, version: string, d: InstalledDriver): Promise<boolean> {
  if (d.kernel === undefined || d.kernel.version === version) return false;
  return (await conn.run(MODULE_HOLDERS)).stdout.trim() !== '';
}

function hostData(args: NvidiaRunArgs, d: InstalledDriver, reboot: boolean, command?: string): Record<string, unknown> {
  return {
    installed_version: d.userSpace ?? null,
    kernel_module_version: d.kernel?.version ?? null,
    reboot_required: reboot,
    ...(command ? { installer_command: command } : {}),
    version: args.version,
  };
}

/** Brings the cache to a verified file and returns its stamp, and whether it was verified during this task. */
async function applyCache(ctx: ModuleContext, s: HostState, args: NvidiaRunArgs): Promise<{ stamp: Stamp; verifiedNow: boolean }> {
  const download = () => downloadToCache(ctx.conn, s.entry, {
    timeoutMs: timeoutMs(args), log: (m) => ctx.log(m), progress: (m, d, t) => ctx.progress(m, d, t),
  });
  switch (s.cache.kind) {
    case 'fresh': return { stamp: s.cache.stamp, verifiedNow: false };
    // Verified while planning, not now: the file is hashed again before it runs.
    case 'verified': return { stamp: await writeStamp(ctx.conn, s.entry, s.cache.stamp.sha256), verifiedNow: false };
    case 'corrupt':
      ctx.log(`removing corrupt ${paths(s.entry).file}: ${s.cache.why}`);
      await evict(ctx.conn, s.entry);
      return { stamp: await download(), verifiedNow: true };
    case 'absent': return { stamp: await download(), verifiedNow: true };
  }
}

async function writeBlacklist(conn: Connection, dirs: string[]): Promise<void> {
  await createDirs(conn, { ...SYSTEM_DIR, dirs });
  await conn.put(BLACKLIST_CONTENT, BLACKLIST_FILE, { mode: 0o644 });
  // nouveau also loads from the initramfs; without a rebuild the blacklist takes effect one boot late.
  const r = await conn.run(`if command -v update-initramfs >/dev/null 2>&1; then ${shellCommand('update-initramfs', '-u', '-k', 'all')}; fi`);
  if (r.rc !== 0) throw new ModuleFailure(`update-initramfs -u -k all on ${conn.host} failed: ${r.stderr.trim()}`);
}

/** Applies host mode: cache, deps, blacklist, then the installer from the verified cache file. */
export async function applyHost(ctx: ModuleContext, args: NvidiaRunArgs, s: HostState): Promise<ApplyResult> {
  const { stamp, verifiedNow } = await applyCache(ctx, s, args);
  if (s.deps.length) await aptInstall(ctx.conn, s.deps, timeoutMs(args));
  if (s.blacklist !== undefined) await writeBlacklist(ctx.conn, s.blacklistDirs ?? []);
  if (!s.install) return { data: { cached_file: paths(s.entry).file, sha256: stamp.sha256 } };
  if (s.nouveauLoaded) {
    return { failed: `nouveau is loaded on ${ctx.host}: it is blacklisted now; reboot the node and run the play again`, data: { reboot_required: true } };
  }
  if (!verifiedNow) await assertIntact(ctx.conn, s.entry, stamp);
  ctx.progress(`installing NVIDIA driver ${args.version}`);
  await runInstaller(ctx.conn, s.install, timeoutMs(args));
  const after = await detectDriver(ctx.conn);
  const data = { ...hostData(args, after, after.kernel?.version !== args.version), cached_file: paths(s.entry).file, sha256: stamp.sha256 };
  if (after.userSpace !== args.version) {
    return { failed: `the installer finished but ${ctx.host} reports user space ${after.userSpace ?? 'none'}, not ${args.version}`, data };
  }
  return { data };
}
