import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec, must, type Exec } from './exec.js';
import { renderInventory } from './inventory.js';
import {
  NODE_USER, configureNode, createNamespace, destroyNode, knownHostsLine, nodeExec, nodeExists, nodePaths, portOpen,
  sshdPid, startSshd as startNodeSshd, stopSshd as stopNodeSshd, type LabNode, type SshdOptions,
} from './node.js';
import { LAB_DIR, LAB_PORT_OFFSET, NODE_MARKER, NODE_SCRIPTS, REPO_ROOT, STATE_ROOT, type Ve } from './paths.js';
import { ensureNodeRoot, ensureRootfs } from './rootfs.js';
import { labSiteVars, writeLabConfig } from './site-config.js';
import { DEFAULT_DRIVER_VERSIONS, startArtifacts, stopArtifacts, type ArtifactServer } from './artifacts-hook.js';

/**
 * Debian packages the lab runs on (installed by `up` when missing): scripts/debian-packages.txt, the list
 * scripts/setup.sh installs too, so the two never drift apart.
 */
export function labPackages(): string[] {
  return readFileSync(join(REPO_ROOT, 'scripts', 'debian-packages.txt'), 'utf8').split('\n')
    .map((line) => line.replace(/#.*/, '').trim().split(/\s+/)[0] ?? '').filter((name) => name !== '');
}

/** How to start the lab. */
export interface LabOptions {
  /** At least this many nodes pve1..pveN exist afterwards (existing extra nodes are kept). Default 1. */
  nodes?: number;
  /** GPUs per node (/dev/nvidia0..N-1). Default 2, as the example config assigns "0,1". */
  gpus?: number;
  sshd?: SshdOptions;
  /**
   * Proxmox VE version of the shared nodes pve1..pveN: one for all, or one per node (`[8, 9]`: pve1 is VE 8, pve2
   * VE 9). Default 8. An existing node of another version is an error (its root cannot change under it).
   */
  ve?: Ve | Ve[];
  /**
   * Also create private nodes of these names for the calling lease (`holder: { lease }`): nodes whose global state
   * (driver loaded or not, /etc, reboots) a test may change without disturbing parallel runs. Not in the inventory;
   * removed when the lease is released. `ve` defaults to 8.
   */
  privateNode?: string | { name: string; ve?: Ve } | Array<{ name: string; ve?: Ve }>;
  /** Driver versions the artifact server offers as stand-in .run files. */
  driverVersions?: string[];
  /**
   * Who holds the lab: `{ keep: true }` (the CLI's `up`: stays until `down`), or a lease id (a test process: the
   * last lease released stops a lab nobody asked to keep). Default: keep.
   */
  holder?: { keep: true } | { lease: string };
  /** Progress lines (the CLI prints them). */
  log?: (line: string) => void;
}

/** One node as tests and users see it. */
export interface LabNodeInfo extends LabNode {
  sshdPid: number | undefined;
  /** Lease id of the test that owns this private node (not in the inventory; removed when the lease ends). */
  owner?: string;
}

/** What `up` made: written to .lab/lab.json. */
export interface LabInfo {
  nodes: LabNodeInfo[];
  user: string;
  privateKey: string;
  knownHosts: string;
  inventory: string;
  /** The artifact HTTP server (stand-in .run, apt repos) when lab/artifacts provides one. */
  artifacts?: ArtifactServer;
  /** Variables of `all` that point site.yml at the lab (its copy of the example config, its repositories). */
  siteVars?: Record<string, string | boolean>;
  /** Seconds the last `up` took, and whether it had to build the rootfs cache. */
  startSeconds: number;
  builtCache: boolean;
  /** Set by `lab up`: tests never stop this lab. */
  keep?: boolean;
}

const LAB_JSON = join(LAB_DIR, 'lab.json');
const FIRST_PORT = 2221 + LAB_PORT_OFFSET;
/** Private (per-test) nodes get ports from here. */
const PRIVATE_PORT = 2300 + LAB_PORT_OFFSET;

/** The running lab as recorded in .lab/lab.json, or undefined when there is none. */
export function labInfo(): LabInfo | undefined {
  if (!existsSync(LAB_JSON)) return undefined;
  const info = JSON.parse(readFileSync(LAB_JSON, 'utf8')) as LabInfo;
  for (const node of info.nodes) node.sshdPid = sshdPid(node);
  return info;
}

/** Finds a node of the running lab by name. */
export function labNode(name = 'pve1'): LabNodeInfo {
  const node = labInfo()?.nodes.find((n) => n.name === name);
  if (!node) throw new Error(`lab: no node ${name}; run \`npm run lab:up\` or startLab()`);
  return node;
}

/** Starts (or completes) the lab; idempotent: a second call finds everything in place and returns quickly. */
export async function startLab(options: LabOptions = {}): Promise<LabInfo> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  return withLock(async () => {
    await ensurePackages(log);
    const mine = privateSpecs(options);
    const sharedVe = (i: number): Ve => (Array.isArray(options.ve) ? options.ve[i] : options.ve) ?? 8;
    let builtCache = await ensureRootfs(log);
    const key = await ensureUserKey();
    const previous = labInfo();
    if (options.holder && 'lease' in options.holder) writeLease(options.holder.lease);
    const shared = previous?.nodes.filter((n) => !n.owner).length ?? 0;
    const wanted = Math.max(options.nodes ?? 1, shared);
    // Private nodes: kept while their lease lives; the one this call asks for is added.
    const alive = new Set(liveLeases());
    const privates = (previous?.nodes ?? []).filter((n) => n.owner && alive.has(n.owner) && nodeExists(n));
    for (const n of previous?.nodes ?? []) if (n.owner && !privates.includes(n)) await destroyNode(n);
    const specs: Array<{ name: string; owner: string | undefined; first: number; ve: Ve }> = [
      ...Array.from({ length: wanted }, (_, i) => ({ name: `pve${i + 1}`, owner: undefined, first: FIRST_PORT + i,
        ve: previous?.nodes.find((n) => n.name === `pve${i + 1}`)?.ve ?? sharedVe(i) })),
      ...privates.filter((n) => !mine.some((m) => m.name === n.name))
        .map((n) => ({ name: n.name, owner: n.owner, first: PRIVATE_PORT, ve: n.ve ?? 8 })),
      ...mine.map((m) => ({ ...m, first: PRIVATE_PORT })),
    ];
    // Asked for explicitly: another version than the running node's is an error (createNamespace says so).
    for (let i = 0; i < wanted && options.ve !== undefined; i++) specs[i]!.ve = sharedVe(i);
    for (const ve of new Set(specs.map((s) => s.ve))) builtCache = (await ensureNodeRoot(ve, log)) || builtCache;
    const nodes: LabNodeInfo[] = [];
    for (const spec of specs) {
      const port = configuredPort(spec.name) ?? await freePort(spec.first, nodes.map((n) => n.port));
      const node = nodePaths(spec.name, port, spec.ve);
      log(`node ${spec.name} (Proxmox VE ${spec.ve}): namespace, devices, sshd on 127.0.0.1:${port}`);
      await createNamespace(node, options.gpus ?? 2);
      const changed = await configureNode(node, readFileSync(`${key}.pub`, 'utf8'), options.sshd);
      if (changed) await stopNodeSshd(node);
      nodes.push({ ...node, sshdPid: await startNodeSshd(node), ...(spec.owner ? { owner: spec.owner } : {}) });
    }
    const artifacts = await startArtifacts(previous?.artifacts, options.driverVersions ?? DEFAULT_DRIVER_VERSIONS, log);
    const siteVars = artifacts ? labSiteVars(artifacts, writeLabConfig(artifacts)) : undefined;
    const info: LabInfo = {
      nodes,
      user: NODE_USER,
      privateKey: key,
      knownHosts: join(LAB_DIR, 'known_hosts'),
      inventory: join(LAB_DIR, 'inventory.yml'),
      ...(artifacts ? { artifacts } : {}),
      ...(siteVars ? { siteVars } : {}),
      startSeconds: (Date.now() - started) / 1000,
      builtCache,
      // Without a lease the caller (lab:up, the demo) expects the lab to stay: keep it until `down`.
      ...((previous?.keep || !options.holder || 'keep' in options.holder) ? { keep: true } : {}),
    };
    writeLabFiles(info);
    return info;
  });
}

/**
 * Builds what the lab caches in /var/cache/phoenix-lab (kept by `down`): the Debian packages it needs, the
 * containers' rootfs and the roots of the node versions asked for (default both). `lab cache` and CI run it first,
 * so a test's lease never waits minutes for a debootstrap. Resolves to whether anything was built.
 */
export async function buildCaches(ves: Ve[] = [8, 9], log: (line: string) => void = () => undefined): Promise<boolean> {
  return withLock(async () => {
    await ensurePackages(log);
    let built = await ensureRootfs(log);
    for (const ve of ves) built = (await ensureNodeRoot(ve, log)) || built;
    return built;
  });
}

const LEASES = join(STATE_ROOT, '.leases');

/** The private nodes a call asks for (only with a lease: they are removed when it ends). */
function privateSpecs(options: LabOptions): Array<{ name: string; owner: string; ve: Ve }> {
  const holder = options.holder && 'lease' in options.holder ? options.holder.lease : undefined;
  if (!holder || options.privateNode === undefined) return [];
  const asked = Array.isArray(options.privateNode) ? options.privateNode
    : typeof options.privateNode === 'string' ? [{ name: options.privateNode }] : [options.privateNode];
  return asked.map((p) => ({ name: p.name, owner: holder, ve: p.ve ?? 8 }));
}

/** A lease is a file named after the holder, containing its pid; it counts while that pid lives. */
function writeLease(id: string): void {
  mkdirSync(LEASES, { recursive: true });
  writeFileSync(join(LEASES, id), String(process.pid));
}

function liveLeases(): string[] {
  if (!existsSync(LEASES)) return [];
  return readdirSync(LEASES).filter((id) => {
    const pid = Number(readFileSyncSafe(join(LEASES, id)));
    if (pid && existsSync(`/proc/${pid}`)) return true;
    rmSync(join(LEASES, id), { force: true });
    return false;
  });
}

/**
 * Gives a test's lease back; the last one out stops the lab unless `lab up` asked to keep it. So parallel test runs
 * (several developers on one machine) never pull the lab from under each other, and a developer's lab survives.
 */
export async function releaseLab(lease: string): Promise<void> {
  await withLock(async () => {
    rmSync(join(LEASES, lease), { force: true });
    const info = labInfo();
    const own = info?.nodes.filter((n) => n.owner === lease) ?? [];
    for (const node of own) await destroyNode(node);
    if (info && own.length > 0) {
      info.nodes = info.nodes.filter((n) => n.owner !== lease);
      writeLabFiles(info);
    }
    if (!labInfo()?.keep && liveLeases().length === 0) await stopLabLocked(() => undefined);
  });
}

/**
 * Removes the whole lab: containers, sshd, servers, namespaces, state dirs; keeps the rootfs cache and the key.
 * While test runs hold leases it only drops `keep` (unless `force`): the last lease then removes the lab, so a
 * `lab:down` never pulls the lab from under a running test. Resolves to whether the lab was removed now.
 */
export async function stopLab(log: (line: string) => void = () => undefined, force = false): Promise<boolean> {
  return withLock(async () => {
    const leases = liveLeases();
    const info = labInfo();
    if (!force && leases.length > 0 && info) {
      info.keep = false;
      writeFileSync(LAB_JSON, JSON.stringify(info, null, 2) + '\n');
      log(`in use by ${leases.length} test run(s) (${LEASES}); the last one out removes it (--force: now)`);
      return false;
    }
    await stopLabLocked(log);
    return true;
  });
}

async function stopLabLocked(log: (line: string) => void): Promise<void> {
  const info = existsSync(LAB_JSON) ? (JSON.parse(readFileSync(LAB_JSON, 'utf8')) as LabInfo) : undefined;
  await stopArtifacts(info?.artifacts, log);
  // Every state dir the lab marked, recorded or not (a crashed `up` leaves no lab.json).
  const names = existsSync(STATE_ROOT)
    ? readdirSync(STATE_ROOT).filter((d) => existsSync(join(STATE_ROOT, d, NODE_MARKER)))
    : [];
  for (const name of names) {
    log(`node ${name}: stopping containers and sshd, removing ${join(STATE_ROOT, name)}`);
    await destroyNode(nodePaths(name, 0));
  }
  removeLxcPivotCgroups();
  for (const f of ['lab.json', 'inventory.yml', 'known_hosts', 'artifacts.port']) rmSync(join(LAB_DIR, f), { force: true });
  rmSync(LEASES, { recursive: true, force: true });
}

/** LXC leaves an empty `lxc.pivot` cgroup in every hierarchy; rmdir only succeeds while it is unused. */
function removeLxcPivotCgroups(): void {
  const root = '/sys/fs/cgroup';
  if (!existsSync(root)) return;
  for (const hierarchy of readdirSync(root)) {
    try {
      rmdirSync(join(root, hierarchy, 'lxc.pivot'));
    } catch {
      /* absent or in use by some other LXC user */
    }
  }
}

/** Removes one node (containers, sshd, namespace, state) and rewrites lab.json, known_hosts and the inventory. */
export async function removeNode(name: string): Promise<void> {
  await withLock(async () => {
    const info = labInfo();
    const node = info?.nodes.find((n) => n.name === name);
    if (!info || !node) return;
    await destroyNode(node);
    info.nodes = info.nodes.filter((n) => n.name !== name);
    writeLabFiles(info);
  });
}

function writeLabFiles(info: LabInfo): void {
  writeFileSync(info.knownHosts, info.nodes.map((n) => knownHostsLine(n) + '\n').join(''));
  writeFileSync(info.inventory, renderInventory(info));
  writeFileSync(LAB_JSON, JSON.stringify(info, null, 2) + '\n');
}

/** Fault hook: stops node `name`'s sshd (with `sessions`, also cuts its open connections). */
export async function stopSshd(name: string, options: { sessions?: boolean } = {}): Promise<void> {
  await stopNodeSshd(labNode(name), options);
}

/** Fault hook: starts node `name`'s sshd again (same port, same host key). */
export async function startSshd(name: string): Promise<number> {
  return startNodeSshd(labNode(name));
}

/**
 * Fault hook: `dir` on node `name` (or inside container `vmid` of it) behaves like a full disk until
 * {@link freeDisk}: existing files stay readable, writing anything new fails with ENOSPC.
 */
export async function fillDisk(name: string, dir: string, options: { vmid?: string; sizeKb?: number } = {}): Promise<void> {
  const r = await diskFault(name, ['fill', dir, String(options.sizeKb ?? 64)], options.vmid);
  if (r.rc !== 0) throw new Error(`lab: cannot fill ${dir} on ${name}${options.vmid ? `/${options.vmid}` : ''}: ${r.stderr.trim()}`);
}

/** Undoes {@link fillDisk}. */
export async function freeDisk(name: string, dir: string, options: { vmid?: string } = {}): Promise<void> {
  await diskFault(name, ['free', dir], options.vmid);
}

function diskFault(name: string, args: string[], vmid?: string): Promise<Exec> {
  const script = readFileSync(join(NODE_SCRIPTS, 'fill-disk.sh'), 'utf8');
  const where = vmid ? ['/usr/sbin/pct', 'exec', vmid, '--', 'sh', '-s', '--', ...args] : ['sh', '-s', '--', ...args];
  return nodeExec(labNode(name), where, script);
}

/** Runs `pct ...` on a node as root, directly in its namespace (tests: set-up and checks without SSH). */
export function pct(name: string, ...args: string[]): Promise<Exec> {
  return nodeExec(labNode(name), ['/usr/sbin/pct', ...args]);
}

/** Runs a shell script on a node as root, directly in its namespace. */
export function onNode(name: string, script: string, ...args: string[]): Promise<Exec> {
  return nodeExec(labNode(name), ['/bin/sh', '-c', script, 'sh', ...args]);
}

async function ensurePackages(log: (line: string) => void): Promise<void> {
  const missing: string[] = [];
  for (const pkg of labPackages()) {
    const r = await exec('dpkg-query', ['-W', '-f=${Status}', pkg]);
    if (!r.stdout.includes('install ok installed')) missing.push(pkg);
  }
  if (missing.length === 0) return;
  log(`installing Debian packages: ${missing.join(' ')} (scripts/setup.sh installs them all)`);
  // A fresh machine may have no package lists yet.
  await must('apt-get', ['update', '-qq']);
  await must('apt-get', ['install', '-y', '--no-install-recommends', ...missing]);
}

/** The user key phoenix logs in with (.lab/id_ed25519), generated once and kept across up/down. */
async function ensureUserKey(): Promise<string> {
  mkdirSync(LAB_DIR, { recursive: true });
  const key = join(LAB_DIR, 'id_ed25519');
  if (!existsSync(key)) await must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'phoenix-lab-user', '-f', key]);
  return key;
}

/** The port of an existing node (its sshd_config survives a lost lab.json). */
function configuredPort(name: string): number | undefined {
  const node = nodePaths(name, 0);
  if (!nodeExists(node) || !existsSync(node.sshdConfig)) return undefined;
  const m = /^Port (\d+)$/m.exec(readFileSync(node.sshdConfig, 'utf8'));
  return m ? Number(m[1]) : undefined;
}

async function freePort(from: number, taken: number[]): Promise<number> {
  for (let port = from; port < from + 200; port++) {
    if (!taken.includes(port) && !(await portOpen(port))) return port;
  }
  throw new Error(`lab: no free port from ${from}`);
}

/** One lab operation at a time on this machine (tests and `npm run lab:*` may overlap). */
async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync(STATE_ROOT, { recursive: true });
  const lock = join(STATE_ROOT, '.lock');
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      const holder = Number(readFileSyncSafe(join(lock, 'pid')));
      if (holder && !existsSync(`/proc/${holder}`)) rmSync(lock, { recursive: true, force: true });
      else if (i > 3000) throw new Error(`lab: ${lock} held by pid ${holder}`);
      else await new Promise((res) => setTimeout(res, 100));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function readFileSyncSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
