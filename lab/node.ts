import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { exec, must, type Exec } from './exec.js';
import { CACHE_DIR, NODE_MARKER, NODE_SCRIPTS, PROC_DEVICES_FIXTURE, REPO_ROOT, ROOTFS_DIR, ROOTFS_UNPRIVILEGED_DIR, STATE_ROOT,
  UNPRIVILEGED_ID_OFFSET, VE_RELEASES, nodeRoot, parseVe, type Ve } from './paths.js';

/** The account phoenix logs in as: uid 0 with /bin/sh, so no root dotfiles run per command (see README). */
export const NODE_USER = 'pveroot';

/** One stand-in Proxmox node: paths and port. Everything lives under `stateDir`. */
export interface LabNode {
  name: string;
  port: number;
  /** The Proxmox VE major version the node stands in for: 8 (Debian 12 root) or 9 (Debian 13 root). */
  ve: Ve;
  stateDir: string;
  /** LXC's lxcpath for this node (distinct per node so two nodes can both have CT 100). */
  lxcPath: string;
  /** Persistent mount and UTS namespace files (`nsenter --mount=... --uts=...` enters the node). */
  nsMount: string;
  nsUts: string;
  sshdConfig: string;
  sshdLog: string;
  sshdPidFile: string;
  hostKeyPub: string;
  /** What the node's processes see as /proc/driver (the stand-in installer writes nvidia/version there). */
  procDriver: string;
}

/** Options of a node's sshd. */
export interface SshdOptions {
  /** VERBOSE logs one "Starting session" line per channel; DEBUG1 logs much more. */
  logLevel?: 'VERBOSE' | 'DEBUG1' | 'DEBUG2' | 'DEBUG3';
  /** OpenSSH's default, as on a real Proxmox node, is 10 sessions per connection. */
  maxSessions?: number;
}

/** Paths of node `name` (nothing is created). */
export function nodePaths(name: string, port: number, ve: Ve = 8): LabNode {
  const stateDir = join(STATE_ROOT, name);
  const shared = join(stateDir, 'shared');
  return {
    name,
    port,
    ve,
    stateDir,
    lxcPath: join(stateDir, 'lxc'),
    nsMount: join(stateDir, 'ns', 'mnt'),
    nsUts: join(stateDir, 'ns', 'uts'),
    sshdConfig: join(shared, 'sshd_config'),
    sshdLog: join(shared, 'sshd.log'),
    sshdPidFile: join(shared, 'sshd.pid'),
    hostKeyPub: join(shared, 'ssh_host_ed25519_key.pub'),
    procDriver: join(shared, 'proc-driver'),
  };
}

/**
 * Runs a program inside the node (its mount + UTS namespace, as root), like a root shell on a Proxmox host.
 * LIBMOUNT_FORCE_MOUNT2: Debian 13's mount(8) (util-linux 2.41) uses the new mount API, whose overlay and bind
 * mounts this machine's kernel refuses in a node; the classic mount(2) works (older util-linux ignores the variable).
 */
export function nodeExec(node: LabNode, args: string[], input?: string): Promise<Exec> {
  return exec('nsenter', [`--mount=${node.nsMount}`, `--uts=${node.nsUts}`, '--', ...args], input,
    { ...process.env, LIBMOUNT_FORCE_MOUNT2: 'always' });
}

/** The VE version a node's namespace was made for (recorded in its state dir), or undefined for none. */
export function recordedVe(node: LabNode): Ve | undefined {
  const file = join(node.stateDir, 've');
  return existsSync(file) ? parseVe(readFileSync(file, 'utf8').trim(), file) : undefined;
}

/** Runs a `sh -c` script inside the node. */
export function nodeSh(node: LabNode, script: string, ...args: string[]): Promise<Exec> {
  return nodeExec(node, ['/bin/sh', '-c', script, 'sh', ...args]);
}

/** Whether the node's namespace exists (its file is a live nsfs bind mount). */
export function nodeExists(node: LabNode): boolean {
  return mountPoints().has(node.nsMount);
}

function mountPoints(): Set<string> {
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  return new Set(lines.map((l) => l.split(' ')[4]).filter((p): p is string => !!p));
}

/** Fake NVIDIA device nodes: majors from the fixture's /proc/devices; modes as on the real H100 host. */
export function nvidiaDevices(gpus: number): Array<{ path: string; major: number; minor: number; mode: string }> {
  const majors = new Map<string, number>();
  for (const line of readFileSync(PROC_DEVICES_FIXTURE, 'utf8').split('\n')) {
    const m = /^\s*(\d+)\s+(\S+)$/.exec(line);
    if (m && !majors.has(m[2]!)) majors.set(m[2]!, Number(m[1]));
  }
  const major = (name: string): number => {
    const value = majors.get(name);
    if (value === undefined) throw new Error(`lab: ${name} has no major in ${PROC_DEVICES_FIXTURE}`);
    return value;
  };
  const gpuNodes = Array.from({ length: gpus }, (_, i) => ({ path: `nvidia${i}`, major: major('nvidia'), minor: i, mode: '666' }));
  return [
    ...gpuNodes,
    { path: 'nvidiactl', major: major('nvidiactl'), minor: 255, mode: '666' },
    { path: 'nvidia-uvm', major: major('nvidia-uvm'), minor: 0, mode: '666' },
    { path: 'nvidia-uvm-tools', major: major('nvidia-uvm'), minor: 1, mode: '666' },
    { path: 'nvidia-caps/nvidia-cap1', major: major('nvidia-caps'), minor: 1, mode: '400' },
    { path: 'nvidia-caps/nvidia-cap2', major: major('nvidia-caps'), minor: 2, mode: '444' },
  ];
}

/** Creates the node's namespace (once): state dirs, device nodes, overlays, fake /proc files (node/ns-setup.sh). */
export async function createNamespace(node: LabNode, gpus: number): Promise<void> {
  const recorded = recordedVe(node);
  if (nodeExists(node)) {
    if (recorded !== undefined && recorded !== node.ve) {
      throw new Error(`lab: node ${node.name} runs Proxmox VE ${recorded}, asked for VE ${node.ve}: remove it first (lab down)`);
    }
    return;
  }
  const s = node.stateDir;
  for (const d of ['ns', 'upper', 'work', 'root', 'dev-upper/nvidia-caps', 'dev-work', 'shared/proc-driver', 'lxc', 'storage']) {
    mkdirSync(join(s, d), { recursive: true });
  }
  writeFileSync(join(s, NODE_MARKER), `phoenix lab node ${node.name}; removed by \`npm run lab:down\`\n`);
  // A node's root is made once: its upper layer only fits the lower one it was made on.
  if (recorded !== undefined && recorded !== node.ve) {
    throw new Error(`lab: ${s} holds a Proxmox VE ${recorded} node, asked for VE ${node.ve}: remove it first (lab down)`);
  }
  writeFileSync(join(s, 've'), `${node.ve}\n`);
  writeFileSync(join(s, 'shared', 'proc-devices'), readFileSync(PROC_DEVICES_FIXTURE));
  if (!existsSync(join(s, 'shared', 'boot_id'))) {
    writeFileSync(join(s, 'shared', 'boot_id'), readFileSync('/proc/sys/kernel/random/uuid'));
  }
  for (const dev of nvidiaDevices(gpus)) {
    const path = join(s, 'dev-upper', dev.path);
    if (!existsSync(path)) await must('mknod', ['-m', dev.mode, path, 'c', String(dev.major), String(dev.minor)]);
  }
  // unshare's persistent namespace files must sit on a private mount.
  if (!mountPoints().has(join(s, 'ns'))) {
    await must('mount', ['--bind', join(s, 'ns'), join(s, 'ns')]);
    await must('mount', ['--make-private', join(s, 'ns')]);
  }
  const args = [`--mount=${node.nsMount}`, `--uts=${node.nsUts}`, '--propagation', 'private',
    'sh', join(NODE_SCRIPTS, 'ns-setup.sh'), s, CACHE_DIR, node.name, nodeRoot(node.ve), joinCluster(node)];
  for (let attempt = 1; ; attempt++) {
    writeFileSync(node.nsMount, '');
    writeFileSync(node.nsUts, '');
    const r = await exec('unshare', args);
    if (r.rc === 0) return;
    // unshare binds ns/uts before ns/mnt and stops (before ns-setup.sh runs) when a bind fails: undo the half.
    const mounts = mountPoints();
    for (const f of [node.nsUts, node.nsMount]) if (mounts.has(f)) await must('umount', [f]);
    // Inside a mount namespace other than the machine's first (the fresh-root check runs the lab in one), this
    // kernel now and then refuses to bind a new mount namespace's file with EINVAL (its loop check); the same
    // bind a moment later succeeds. Measured in a child mount namespace: of 240 binds, 40 needed a retry, at most 7
    // retries 100 ms apart; none failed for good. (In the machine's first mount namespace: 0 of 10 failed.)
    const transient = /mount \/proc\/\d+\/ns\/\w+ on \S+ failed: Invalid argument/.test(r.stderr);
    if (!transient || attempt === 30) {
      throw new Error(`lab: unshare ${args.join(' ')} exited ${r.rc}${attempt > 1 ? ` (attempt ${attempt})` : ''}: ${(r.stderr || r.stdout).trim()}`);
    }
    await new Promise((res) => setTimeout(res, 100));
  }
}

/**
 * Writes the node's own configuration (idempotent): pct, /etc/pve, the login account, sshd config and keys.
 * Returns whether the sshd config changed (a running sshd must then be restarted).
 */
export async function configureNode(node: LabNode, userPublicKey: string, sshd: SshdOptions = {}): Promise<boolean> {
  const shared = join(node.stateDir, 'shared');
  const config = sshdConfig(node, sshd);
  const changed = !existsSync(node.sshdConfig) || readFileSync(node.sshdConfig, 'utf8') !== config;
  writeFileSync(join(shared, 'pct'), readFileSync(join(NODE_SCRIPTS, 'pct')));
  writeFileSync(join(shared, 'reboot'), readFileSync(join(NODE_SCRIPTS, 'reboot')));
  writeFileSync(join(shared, 'authorized_keys'), userPublicKey.trim() + '\n', { mode: 0o600 });
  writeFileSync(node.sshdConfig, config);
  writeFileSync(join(shared, 'node.env'), [
    `NODE_NAME=${node.name}`,
    `LXC_PATH=${node.lxcPath}`,
    'PVE_LXC_DIR=/etc/pve/lxc',
    `ROOTFS_CACHE=${ROOTFS_DIR}`,
    `ROOTFS_CACHE_UNPRIVILEGED=${ROOTFS_UNPRIVILEGED_DIR}`,
    `UNPRIVILEGED_ID_OFFSET=${UNPRIVILEGED_ID_OFFSET}`,
    `STORAGE_DIR=${join(node.stateDir, 'storage')}`,
    `STATE_DIR=${node.stateDir}`,
    `OS_TEMPLATES='${osTemplates().join(' ')}'`,
    // The Proxmox packages whose versions tools ask dpkg about (configure-node.sh puts them in the dpkg database).
    `PVE_MANAGER_VERSION=${VE_RELEASES[node.ve].pveManager}`,
    `PVE_CONTAINER_VERSION=${VE_RELEASES[node.ve].pveContainer}`,
    // Empty for a namespace made before clusters (no <state>/cluster): it has no shared /etc/pve/nodes bound.
    `CLUSTER_DIR=${existsSync(join(node.stateDir, 'cluster')) ? clusterDir(node) : ''}`,
    `SHARED_STORAGES='${LAB_SHARED_STORAGES.join(' ')}'`,
    // Debian 13's mount(8) with the classic mount(2) (see nodeExec); pct and reboot source this file.
    'LIBMOUNT_FORCE_MOUNT2=always',
    'export LIBMOUNT_FORCE_MOUNT2',
    '',
  ].join('\n'));
  const r = await nodeExec(node, ['sh', '-s', '--', node.stateDir, node.name, NODE_USER],
    readFileSync(join(NODE_SCRIPTS, 'configure-node.sh'), 'utf8'));
  if (r.rc !== 0) throw new Error(`lab: configuring node ${node.name} failed: ${r.stderr.trim()}`);
  return changed;
}

/**
 * The OS templates the example configuration names (absolute paths). The lab's `pct create` always lays the cached
 * rootfs; each template file holds what phoenix reads from a template in check mode (its package database).
 */
function osTemplates(): string[] {
  const lxc = JSON.parse(readFileSync(join(REPO_ROOT, 'inventory', 'phoenix_lxc_configs.json'), 'utf8')) as { lxc_configs: Record<string, { template?: string }> };
  const paths = Object.values(lxc.lxc_configs).map((c) => c.template).filter((t): t is string => !!t && /^\/[A-Za-z0-9._/-]+$/.test(t));
  return [...new Set(paths)];
}

function sshdConfig(node: LabNode, options: SshdOptions): string {
  const shared = join(node.stateDir, 'shared');
  return [
    `# phoenix lab node ${node.name}: its own sshd on loopback (the machine's sshd is never touched).`,
    `Port ${node.port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(shared, 'ssh_host_ed25519_key')}`,
    `PidFile ${node.sshdPidFile}`,
    `AuthorizedKeysFile ${join(shared, 'authorized_keys')}`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    '# No PAM: no pam_loginuid/pam_systemd in this VM, and no per-login PAM cost in measurements.',
    'UsePAM no',
    'PrintMotd no',
    'PrintLastLog no',
    'AcceptEnv LANG LC_*',
    `# ${NODE_USER} is root (uid 0) without root's dotfiles: present it as root to commands too (whoami says root).`,
    'SetEnv USER=root LOGNAME=root',
    `LogLevel ${options.logLevel ?? 'VERBOSE'}`,
    ...(options.maxSessions ? [`MaxSessions ${options.maxSessions}`] : []),
    'Subsystem sftp /usr/lib/openssh/sftp-server',
    '',
  ].join('\n');
}

/** The node's host key as a known_hosts line (`[127.0.0.1]:port type key`). */
export function knownHostsLine(node: LabNode): string {
  const [type, key] = readFileSync(node.hostKeyPub, 'utf8').trim().split(/\s+/);
  return `[127.0.0.1]:${node.port} ${type} ${key}`;
}

/** Pid of the node's listening sshd, or undefined when it is not running. */
export function sshdPid(node: LabNode): number | undefined {
  if (!existsSync(node.sshdPidFile)) return undefined;
  const pid = Number(readFileSync(node.sshdPidFile, 'utf8').trim());
  if (!pid || !existsSync(`/proc/${pid}`)) return undefined;
  try {
    return readlinkSync(`/proc/${pid}/exe`) === '/usr/sbin/sshd' ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the node's sshd inside its namespace (no-op when running) and waits until it accepts connections. */
export async function startSshd(node: LabNode): Promise<number> {
  const running = sshdPid(node);
  if (running) return running;
  await nodeExec(node, ['mkdir', '-p', '/run/sshd']);
  const test = await nodeExec(node, ['/usr/sbin/sshd', '-t', '-f', node.sshdConfig]);
  if (test.rc !== 0) throw new Error(`lab: sshd config of ${node.name} is invalid: ${test.stderr.trim()}`);
  const r = await nodeExec(node, ['/usr/sbin/sshd', '-f', node.sshdConfig, '-E', node.sshdLog]);
  if (r.rc !== 0) throw new Error(`lab: sshd of ${node.name} did not start: ${r.stderr.trim()}`);
  for (let i = 0; i < 100; i++) {
    const pid = sshdPid(node);
    if (pid && (await portOpen(node.port))) return pid;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`lab: sshd of ${node.name} does not listen on 127.0.0.1:${node.port}; see ${node.sshdLog}`);
}

/**
 * Stops the node's sshd listener (fault injection). With `sessions`, also kills every open SSH connection of the
 * node, as a crashed or rebooting host would; without, open connections survive (Debian's ssh.service KillMode).
 */
export async function stopSshd(node: LabNode, options: { sessions?: boolean } = {}): Promise<void> {
  const pid = sshdPid(node);
  // OpenSSH 10 (Debian 13) runs each connection in sshd-session (and sshd-auth), no longer in an sshd child.
  const victims = options.sessions ? processesInNode(node).filter((p) => SSHD_PROGRAMS.has(exeOf(p) ?? '')) : [];
  for (const p of new Set([...(pid ? [pid] : []), ...victims])) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  rmSync(node.sshdPidFile, { force: true });
  for (let i = 0; i < 100 && (await portOpen(node.port)); i++) await new Promise((res) => setTimeout(res, 20));
}

const SSHD_PROGRAMS = new Set(['/usr/sbin/sshd', '/usr/lib/openssh/sshd-session', '/usr/lib/openssh/sshd-auth']);

function exeOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

/** Pids of the processes living in the node's mount namespace (sshd, its sessions, LXC monitors). */
export function processesInNode(node: LabNode): number[] {
  let ino: number;
  try {
    ino = statSync(node.nsMount).ino;
  } catch {
    return [];
  }
  const want = `mnt:[${ino}]`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/mnt`) === want) pids.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      res(true);
    });
    socket.once('error', () => res(false));
  });
}

/**
 * Removes a node completely: stops its containers, kills its processes, drops the namespace (and with it every
 * mount made inside), then deletes the state dir. Only dirs carrying the lab's marker are touched.
 */
export async function destroyNode(node: LabNode): Promise<void> {
  if (!existsSync(join(node.stateDir, NODE_MARKER))) return;
  if (nodeExists(node)) {
    await nodeSh(node, 'for c in "$1"/*/config; do [ -e "$c" ] || continue; n=$(basename "$(dirname "$c")"); ' +
      'lxc-stop -P "$1" -n "$n" -k >/dev/null 2>&1; done; exit 0', node.lxcPath);
    for (const pid of processesInNode(node)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  const mounts = mountPoints();
  for (const m of [node.nsMount, node.nsUts, join(node.stateDir, 'ns')]) {
    if (mounts.has(m)) await must('umount', [m]);
  }
  leaveCluster(node);
  rmSync(node.stateDir, { recursive: true, force: true });
}

/** Storages every node of a lab cluster sees (storage.cfg's `shared 1`): `pct clone --target` works from them. */
export const LAB_SHARED_STORAGES = ['cephpool'];

/**
 * The cluster node `name` belongs to (issue 14): what pmxcfs shares on Proxmox, `nodes/` (bound at /etc/pve/nodes:
 * VMIDs are cluster-wide, `clone --target` moves a config there) and `storage/` (CTs on LAB_SHARED_STORAGES). The
 * lab's pveN nodes form one cluster; the private nodes of one test process another, so a test's VMIDs never meet
 * the CTs a developer keeps on pve1 or those of a parallel run. Fixed when the namespace is made (`<state>/cluster`).
 */
export function clusterDir(node: LabNode): string {
  const file = join(node.stateDir, 'cluster');
  const id = existsSync(file) ? readFileSync(file, 'utf8').trim() : /^pve\d+$/.test(node.name) ? 'lab' : `run-${process.pid}`;
  return join(STATE_ROOT, '.clusters', id);
}

function joinCluster(node: LabNode): string {
  const dir = clusterDir(node);
  writeFileSync(join(node.stateDir, 'cluster'), `${dir.split('/').pop()}\n`);
  for (const d of ['nodes', 'storage']) mkdirSync(join(dir, d), { recursive: true });
  return dir;
}

/** Drops the node's directory from its cluster's /etc/pve/nodes; the last node out removes the cluster (storage too). */
function leaveCluster(node: LabNode): void {
  if (!existsSync(join(node.stateDir, 'cluster'))) return;
  const dir = clusterDir(node);
  rmSync(join(dir, 'nodes', node.name), { recursive: true, force: true });
  if (existsSync(join(dir, 'nodes')) && readdirSync(join(dir, 'nodes')).length > 0) return;
  rmSync(dir, { recursive: true, force: true });
  if (readdirSync(join(dir, '..')).length === 0) rmSync(join(dir, '..'), { recursive: true, force: true });
}
