import { quote, shellCommand } from '../../interpreter/connection/quote.js';
import type { Connection } from '../../interpreter/connection/types.js';
import { asRoot, containerNode, pushFromNode } from '../pct_push.js';
import { ModuleFailure, type ApplyResult, type Change, type ModuleContext, type Plan } from '../types.js';
import { cacheEntry, timeoutMs, type NvidiaRunArgs } from './args.js';
import { assertIntact, paths, planCache, sha256Of, type CacheEntry, type Stamp } from './cache.js';
import { detectDriver, loadedModule } from './detect.js';
import { askNodeOncePerTask } from '../common/shared.js';
import { installerCommand, installerFlags } from './flags.js';
import { aptInstall, runInstaller } from './install.js';
import type { PlannedDriver } from './host.js';

/** What container-mode planning found, for apply. */
export interface ContainerState {
  mode: 'container';
  vmid: string;
  nodeName: string;
  entry: CacheEntry;
  stamp: Stamp;
  pushed: string;
  push: boolean;
  kmod: boolean;
  install: string;
}

const HOST_PLAY = 'run nvidia_run with mode: host on it first';

/**
 * The node's loaded kernel module must be the configured version, or the container would be mismatched. In check
 * mode, a driver the node's own task planned to install counts as loaded.
 */
async function nodeModule(ctx: ModuleContext, node: Connection, nodeName: string, version: string, planned?: PlannedDriver): Promise<string> {
  const loaded = planned?.version ?? (await askNodeOncePerTask(ctx, nodeName, 'loaded kernel module', () => loadedModule(node)))?.version;
  if (!loaded) throw new ModuleFailure(`node ${nodeName} has no NVIDIA kernel module loaded; ${HOST_PLAY} (and reboot it if it says so)`);
  if (loaded !== version) {
    throw new ModuleFailure(`node ${nodeName} has kernel module ${loaded} loaded but version ${version} is configured: the ` +
      `container's user space would not match it ("Driver/library version mismatch"); run nvidia_run with mode: host ` +
      `and version ${version} on the node and reboot it, or configure the loaded version`, { kernel_module_version: loaded, version });
  }
  return loaded;
}

/** The node's cached file, verified; container mode never downloads. */
async function cachedOnNode(node: Connection, nodeName: string, entry: CacheEntry): Promise<Stamp> {
  const cache = await planCache(node, entry);
  const file = paths(entry).file;
  if (cache.kind === 'absent') throw new ModuleFailure(`${file} is not in the cache of node ${nodeName}; ${HOST_PLAY}, which downloads it`);
  if (cache.kind === 'corrupt') throw new ModuleFailure(`${file} on node ${nodeName} is corrupt (${cache.why}); ${HOST_PLAY}, which replaces it`);
  return cache.stamp;
}

/** True when the container already holds the exact file at `path` (size first, sha256 only when the size agrees). */
async function alreadyPushed(conn: Connection, path: string, stamp: Stamp): Promise<boolean> {
  const r = await conn.run(`f=${quote(path)}; if test -f "$f"; then stat -c %s -- "$f"; fi`);
  if (r.rc !== 0 || Number(r.stdout.trim()) !== stamp.size || !r.stdout.trim()) return false;
  return (await sha256Of(conn, path)) === stamp.sha256;
}

/** Plans container mode: checks against the node's module, then push, kmod, install, clean up. Reads only. */
export async function planContainer(ctx: ModuleContext, args: NvidiaRunArgs): Promise<Plan<ContainerState>> {
  const { vmid, nodeName, node } = await containerNode(ctx, 'nvidia_run (mode: container)');
  const entry = cacheEntry(args);
  const planned = ctx.planned?.get<PlannedDriver>('driver', nodeName);
  const loaded = await nodeModule(ctx, node, nodeName, args.version, planned);
  const before = await detectDriver(ctx.conn);
  const data = { installed_version: before.userSpace ?? null, kernel_module_version: loaded, version: args.version };
  if (before.userSpace === args.version) {
    return { changes: [], reason: `user space ${args.version} already installed (matches the kernel module of node ${nodeName})`, data };
  }
  // Check mode: an earlier task of this run (the node's rolling upgrade) installs this version here already.
  if (ctx.planned?.get<string>('user-space', `${nodeName}/${vmid}`) === args.version) {
    return { changes: [], reason: `user space ${args.version} is installed earlier in this run (the node's rolling upgrade)`, data };
  }
  const pushed = `/tmp/${entry.file}`;
  // Check mode, the node's task downloads the file in this run: there is nothing to hash yet, so it is pushed.
  const plannedFile = planned?.downloaded === paths(entry).file;
  const stamp = plannedFile ? { size: -1, sha256: '', mtime: '' } : await cachedOnNode(node, nodeName, entry);
  const push = plannedFile || !(await alreadyPushed(ctx.conn, pushed, stamp));
  const install = installerCommand(pushed, installerFlags('container', args));
  const changes: Change[] = [];
  if (push) changes.push({ summary: `push ${paths(entry).file} from node ${nodeName} to container ${vmid}:${pushed}` });
  if (!before.modprobe) changes.push({ summary: 'apt-get install kmod (the installer needs modprobe even without kernel modules)' });
  const now = before.userSpace ? `replacing ${before.userSpace}` : 'not installed';
  changes.push({ summary: `install user space ${args.version} (${now}): ${install}` }, { summary: `remove ${pushed}` });
  ctx.planned?.set('user-space', `${nodeName}/${vmid}`, args.version);
  return {
    changes,
    state: { mode: 'container', vmid, nodeName, entry, stamp, pushed, push, kmod: !before.modprobe, install },
    data: { ...data, installer_command: install },
  };
}

/** Applies container mode; the pushed file is removed whatever happens. */
export async function applyContainer(ctx: ModuleContext, args: NvidiaRunArgs, s: ContainerState): Promise<ApplyResult> {
  const node = asRoot(await ctx.connect(s.nodeName));
  // Hashed again right before it leaves the node: a file changed since planning never reaches a container.
  if (s.push) await assertIntact(node, s.entry, s.stamp);
  try {
    if (s.push) await pushFromNode(node, s.vmid, paths(s.entry).file, s.pushed, { mode: 0o600 });
    if (s.kmod) await aptInstall(ctx.conn, ['kmod'], timeoutMs(args));
    ctx.progress(`installing NVIDIA user space ${args.version} in container ${s.vmid}`);
    await runInstaller(ctx.conn, s.install, timeoutMs(args));
  } finally {
    await ctx.conn.run(shellCommand('rm', '-f', '--', s.pushed));
  }
  return checkMatch(ctx, node, s, args.version);
}

/** After the install, user space must equal the node's kernel module, exactly (domain.md 2.3). */
async function checkMatch(ctx: ModuleContext, node: Connection, s: ContainerState, version: string): Promise<ApplyResult> {
  const after = await detectDriver(ctx.conn);
  const loaded = (await loadedModule(node))?.version;
  const data = { installed_version: after.userSpace ?? null, kernel_module_version: loaded ?? null, version };
  if (!after.userSpace || after.userSpace !== loaded) {
    return {
      failed: `container ${s.vmid} has user space ${after.userSpace ?? 'none'} but node ${s.nodeName} has kernel module ` +
        `${loaded ?? 'none'} loaded: they must be the same version`,
      data,
    };
  }
  return { data };
}
