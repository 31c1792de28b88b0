import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { labInfo, startLab, stopLab, type LabInfo } from '../lab/lab.js';
import { writeFleet, type FleetFiles } from './fleet-config.js';
import { floorRun } from './fleet-floor.js';
import { removeShell, userShell, type UserShell } from './forms.js';
import { median, ms, parseRecap, spread, stopKeepers, timed, type Timed } from './measure.js';
import { REPO_ROOT } from './paths.js';
import type { Row } from './table.js';

export const SITE = join(REPO_ROOT, 'playbooks', 'site.yml');
export const FLEET_ANSIBLE = join(REPO_ROOT, 'bench', 'fleet-ansible.yml');

export interface Size {
  nodes: number;
  perNode: number;
}

export interface FleetOptions {
  sizes: Size[];
  /** Sizes that also run the Ansible version of the no-op re-run. */
  ansibleSizes: Size[];
  runs: number;
  ansibleRuns: number;
  forks: number;
  /** Remove and re-create the lab (`down`, `up --nodes N`) before each size: every first run on fresh nodes. */
  fresh: boolean;
  log: (line: string) => void;
}

/** One measured run on the fleet. */
interface FleetRun {
  run: Timed;
  hosts: number;
  /** Task-host results that ran (ok, changed or failed; not skipped). */
  executed: number;
  /** Remote commands phoenix sent (PHOENIX_OP_LOG), or ansible's exec sessions. */
  commands: number;
  sftp: number;
  connections: number;
  sessions: number;
}

const label = (s: Size): string => `${s.nodes} node${s.nodes > 1 ? 's' : ''} x ${s.perNode} CTs`;
const same = (a: Size, b: Size): boolean => a.nodes === b.nodes && a.perNode === b.perNode;

/** Byte offsets of each node's sshd log; lines matching a pattern written since. */
function sshdMark(info: LabInfo): number[] {
  return info.nodes.map((n) => { try { return statSync(n.sshdLog).size; } catch { return 0; } });
}
function sshdCount(info: LabInfo, mark: number[], pattern: RegExp): number {
  let count = 0;
  info.nodes.forEach((n, i) => {
    let size = 0;
    try { size = statSync(n.sshdLog).size; } catch { return; }
    if (size <= mark[i]) return;
    const buffer = Buffer.alloc(size - mark[i]);
    const fd = openSync(n.sshdLog, 'r');
    readSync(fd, buffer, 0, buffer.length, mark[i]);
    closeSync(fd);
    count += buffer.toString('utf8').split('\n').filter((l) => pattern.test(l)).length;
  });
  return count;
}

/** Task-host results in a PLAY RECAP that ran: ok (changed included) + failed. */
function executed(stdout: string): number {
  const recap = parseRecap(stdout);
  return recap.ok + recap.failed;
}

async function measure(info: LabInfo, command: string, args: string[], env: NodeJS.ProcessEnv,
  scope: string | undefined, hosts: number): Promise<FleetRun> {
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-bench-ops-'));
  const opLog = join(dir, 'ops.jsonl');
  const mark = sshdMark(info);
  const run = await timed(command, args, { cwd: REPO_ROOT, env: { ...env, NO_COLOR: '1', ANSIBLE_NOCOLOR: '1', PHOENIX_OP_LOG: opLog }, keeperScope: scope });
  await new Promise((r) => setTimeout(r, 100)); // sshd writes its last lines as sessions close
  let ops = { command: NaN, read: 0, write: 0, stat: 0 };
  try {
    ops = JSON.parse(readFileSync(opLog, 'utf8').trim().split('\n').pop() ?? '');
  } catch {
    // ansible, or a run that ended early
  }
  rmSync(dir, { recursive: true, force: true });
  const sessions = sshdCount(info, mark, /Starting session: command/);
  return {
    run, hosts, executed: executed(run.stdout), sessions,
    commands: Number.isNaN(ops.command) ? sessions : ops.command, sftp: ops.read + ops.write + ops.stat,
    connections: sshdCount(info, mark, /Accepted publickey/),
  };
}

function expectClean(r: FleetRun, what: string, changed: 'none' | 'any'): void {
  const recap = parseRecap(r.run.stdout);
  if (r.run.code !== 0 || recap.hosts !== r.hosts || recap.failed || recap.unreachable || (changed === 'none' && recap.changed)) {
    throw new Error(`${what}: exit ${r.run.code}, recap ${JSON.stringify(recap)} (expected ${r.hosts} hosts, changed ${changed})\n` +
      (r.run.stdout + r.run.stderr).split('\n').filter((l) => /fatal|failed:|FAILED|error/i.test(l)).slice(0, 12).join('\n') +
      '\n' + (r.run.stdout + r.run.stderr).split('\n').slice(-15).join('\n'));
  }
}

/** Wall time per task name (summed over batches), from when each `TASK [` line arrived: the slowest first. */
export function taskTimes(run: Timed): Array<{ name: string; ms: number }> {
  const marks = run.lineTimes.filter((l) => /^(TASK \[|PLAY \[|PLAY RECAP)/.test(l.line));
  const sums = new Map<string, number>();
  marks.forEach((m, i) => {
    if (!m.line.startsWith('TASK [')) return;
    const name = m.line.slice(6, m.line.lastIndexOf(']'));
    const end = marks[i + 1]?.atMs ?? run.wallMs;
    sums.set(name, (sums.get(name) ?? 0) + end - m.atMs);
  });
  return [...sums].map(([name, t]) => ({ name, ms: t })).sort((a, b) => b.ms - a.ms);
}

/** Hosts with `changed:` under tasks whose name matches. */
function changedUnder(stdout: string, task: RegExp): string[] {
  const hosts: string[] = [];
  let current = '';
  for (const line of stdout.split('\n')) {
    if (line.startsWith('TASK [')) current = line;
    else if (task.test(current)) {
      const m = /^changed: \[([^\]]+)\]/.exec(line);
      if (m) hosts.push(m[1].split(' ')[0]);
    }
  }
  return hosts;
}

interface Request { method: string; path: string; status: number; bytes: number }

async function artifactRequests(info: LabInfo, clear: boolean): Promise<Request[]> {
  if (!info.artifacts) return [];
  const url = `${info.artifacts.url}/_lab/requests`;
  const response = await fetch(url, { method: clear ? 'DELETE' : 'GET' });
  return clear ? [] : (await response.json()) as Request[];
}

/** The inventory as Ansible needs it: phoenix's own hostvars; containers reached over their node's SSH. */
function ansibleFiles(info: LabInfo, files: FleetFiles, dir: string, shell: UserShell): { inventory: string; config: string; batches: number[] } {
  const listing = JSON.parse(execFileSync('phoenix', ['inventory', '-i', files.inventory, '--list'],
    { cwd: REPO_ROOT, env: shell.env, encoding: 'utf8', maxBuffer: 64 << 20 })) as {
    _meta: { hostvars: Record<string, Record<string, unknown>> }; proxmox: { hosts: string[] }; lxc: { hosts: string[] };
  };
  const vars = listing._meta.hostvars;
  const port = (node: string): number => info.nodes.find((n) => n.name === node)!.port;
  const order = (vars[listing.lxc.hosts[0]].phoenix_clone_order as number[]).map((v) => `ct${v}`);
  const strip = (h: Record<string, unknown>): Record<string, unknown> => {
    const { ansible_connection: _c, phoenix_known_hosts_file: _k, ...rest } = h;
    return rest;
  };
  const inventory = {
    all: {
      vars: { ansible_user: info.user, ansible_ssh_private_key_file: info.privateKey },
      children: {
        proxmox: { hosts: Object.fromEntries(listing.proxmox.hosts.map((h) => [h, strip(vars[h])])) },
        lxc: {
          hosts: Object.fromEntries(order.map((h) => [h, {
            ...strip(vars[h]), ansible_host: '127.0.0.1', ansible_port: port(String(vars[h].proxmox_node)),
          }])),
        },
      },
    },
  };
  const inventoryFile = join(dir, 'ansible-inventory.yml');
  writeFileSync(inventoryFile, stringify(inventory));
  const config = join(dir, 'ansible.cfg');
  mkdirSync(join(dir, 'cp'), { recursive: true });
  writeFileSync(config, [
    '[defaults]', 'host_key_checking = True', 'gathering = explicit', 'retry_files_enabled = False',
    'interpreter_python = /usr/bin/python3', '',
    '[ssh_connection]', 'pipelining = True',
    `ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${info.knownHosts}`,
    `control_path_dir = ${join(dir, 'cp')}`, '',
  ].join('\n'));
  return { inventory: inventoryFile, config, batches: vars[listing.lxc.hosts[0]].phoenix_clone_batches as number[] };
}

interface SizeResult {
  size: Size;
  files: FleetFiles;
  first: FleetRun;
  noop: FleetRun[];
  check: FleetRun[];
  ansible: FleetRun[];
  /** The workload's own container commands with no tool (fleet-floor.ts), run between the no-op rounds. */
  floor: Timed[];
  install: { runDownloads: number; runBytes: number; nodeInstalls: string[]; ctInstalls: string[]; cudaInstalls: string[];
    cudaDebBytes: number; cudaBytes: number };
}

function describe(r: FleetRun): string {
  const perHost = (n: number): string => (n / Math.max(1, r.executed)).toFixed(2);
  return `${r.executed} task-hosts ran; ${perHost(r.commands)} cmd + ${perHost(r.sftp)} sftp per task-host ` +
    `(${r.commands} cmd); ${r.connections} conn, ${r.sessions} exec sessions; CPU ${ms(r.run.cpuS * 1000)} + keeper ` +
    `${ms(r.run.keeperCpuS * 1000)}; peak RSS ${Math.round(r.run.maxRssKb / 1024)} MB`;
}

async function oneSize(size: Size, options: FleetOptions, shell: UserShell, dir: string, maxNodes: number): Promise<SizeResult> {
  if (options.fresh) {
    await stopKeepers(shell.runtimeDir);
    await stopLab(options.log);
    await startLab({ nodes: maxNodes, log: options.log, holder: { keep: true } });
  }
  const info = labInfo();
  if (!info) throw new Error('fleet: no lab (PHOENIX_LAB_INSTANCE=N node dist/lab/cli.js up --nodes 3)');
  const files = writeFleet(info, dir, size.nodes, size.perNode);
  const hosts = size.nodes + files.containers.length;
  const args = ['run', SITE, '-i', files.inventory, '-f', String(options.forks)];
  const phoenix = (extra: string[]): Promise<FleetRun> =>
    measure(info, 'phoenix', [...args, ...extra], shell.env, shell.runtimeDir, hosts);
  await artifactRequests(info, true);
  const first = await phoenix([]);
  expectClean(first, `fleet ${label(size)} first run`, 'any');
  const requests = await artifactRequests(info, false);
  const runs = requests.filter((r) => r.method === 'GET' && /\.run$/.test(r.path) && r.status < 300);
  const cuda = requests.filter((r) => r.method === 'GET' && r.path.startsWith('/cuda/'));
  const install = {
    runDownloads: runs.length, runBytes: runs.reduce((s, r) => s + r.bytes, 0),
    nodeInstalls: changedUnder(first.run.stdout, /NVIDIA driver on the node/),
    ctInstalls: changedUnder(first.run.stdout, /NVIDIA user space/),
    cudaInstalls: changedUnder(first.run.stdout, /Install the CUDA toolkit/),
    cudaDebBytes: cuda.filter((r) => r.path.endsWith('.deb')).reduce((s, r) => s + r.bytes, 0),
    cudaBytes: cuda.reduce((s, r) => s + r.bytes, 0),
  };
  options.log(`fleet ${label(size)} first run: ${ms(first.run.wallMs)}; ${describe(first)}; install ${JSON.stringify(install)}`);
  const noop: FleetRun[] = [];
  const check: FleetRun[] = [];
  const floor: Timed[] = [];
  for (let i = 0; i < options.runs; i++) {
    const r = await phoenix([]);
    expectClean(r, `fleet ${label(size)} re-run`, 'none');
    noop.push(r);
    const c = await phoenix(['--check']);
    expectClean(c, `fleet ${label(size)} --check`, 'none');
    check.push(c);
    const f = await floorRun(info, files, options.forks);
    floor.push(f);
    options.log(`fleet ${label(size)} round ${i + 1}: no-op ${ms(r.run.wallMs)}, --check ${ms(c.run.wallMs)}, floor ${ms(f.wallMs)} (load ${loadNow()})`);
  }
  const ansible: FleetRun[] = [];
  if (options.ansibleSizes.some((s) => same(s, size))) {
    const a = ansibleFiles(info, files, join(dir, `fleet-${size.nodes}x${size.perNode}`), shell);
    const cmd = ['-i', a.inventory, '-f', String(options.forks), '-e', JSON.stringify({ clone_batches: a.batches }), FLEET_ANSIBLE];
    const env = { ...shell.env, ANSIBLE_CONFIG: a.config };
    // One run first opens the ControlPersist masters (as phoenix's keeper holds its connections): then the runs.
    const warm = await measure(info, 'ansible-playbook', cmd, env, undefined, hosts);
    expectClean(warm, `ansible on ${label(size)} (warm-up)`, 'none');
    for (let i = 0; i < options.ansibleRuns; i++) {
      const r = await measure(info, 'ansible-playbook', cmd, env, undefined, hosts);
      expectClean(r, `ansible on ${label(size)}`, 'none');
      ansible.push(r);
      options.log(`fleet ${label(size)} ansible no-op ${i + 1}: ${ms(r.run.wallMs)} (${r.executed} task-hosts; warm-up ${ms(warm.run.wallMs)})`);
    }
  }
  return { size, files, first, noop, check, ansible, floor, install };
}

function loadNow(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/**
 * Issue 15, items 2-4: site.yml on the lab's fleet (`phoenix` from PATH, as users type it), for each size: first
 * run, no-op re-runs and --check runs, with remote commands, connections and RSS; the Ansible version of the no-op
 * path at the sizes asked; how each grows; what a first run downloads and installs.
 */
export async function fleet(options: FleetOptions): Promise<{ rows: Row[]; notes: string[] }> {
  const shell = userShell();
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-bench-fleet-'));
  const maxNodes = Math.max(...options.sizes.map((s) => s.nodes));
  const results: SizeResult[] = [];
  try {
    for (const size of options.sizes) results.push(await oneSize(size, options, shell, dir, maxNodes));
    return { rows: fleetRows(results), notes: fleetNotes(results) };
  } finally {
    await removeShell(shell);
    rmSync(dir, { recursive: true, force: true });
  }
}

function fleetRows(results: SizeResult[]): Row[] {
  const rows: Row[] = [];
  const largest = results.reduce((a, b) => (b.size.nodes * b.size.perNode > a.size.nodes * a.size.perNode ? b : a));
  for (const r of results) {
    const isLargest = r === largest;
    rows.push({ part: 'fleet', case: `${label(r.size)}: first run`, phoenix: ms(r.first.run.wallMs),
      detail: `1 run; ${describe(r.first)}` });
    const floorWall = median(r.floor.map((f) => f.wallMs));
    rows.push({ part: 'fleet', case: `${label(r.size)}: the containers' own commands of a no-op, no tool (floor)`, phoenix: ms(floorWall),
      detail: `median of ${r.floor.length}, spread ${spread(r.floor.map((f) => f.wallMs))}; what any tool's no-op runs inside the ` +
        'containers (bench/fleet-floor.ts: fleet-ansible.yml\'s container commands, one lxc-attach per container, nodes at once)' });
    for (const [name, list] of [['no-op re-run', r.noop], ['--check', r.check]] as Array<[string, FleetRun[]]>) {
      const walls = list.map((x) => x.run.wallMs);
      const wall = median(walls);
      const a = name === 'no-op re-run' && r.ansible.length ? median(r.ansible.map((x) => x.run.wallMs)) : undefined;
      const goals: string[] = [];
      let met: boolean | undefined;
      if (isLargest) {
        goals.push('< 5 s');
        met = wall < 5000;
      }
      if (a !== undefined) {
        goals.push('>= 30x');
        met = (met ?? true) && a / wall >= 30;
      }
      rows.push({
        part: 'fleet', case: `${label(r.size)}: ${name}`, phoenix: ms(wall),
        ansible: a === undefined ? undefined : ms(a), ratio: a === undefined ? undefined : `${(a / wall).toFixed(1)}x`,
        goal: goals.length ? goals.join(', ') : undefined, met,
        detail: `median of ${list.length}, spread ${spread(walls)}; ${ms(wall - floorWall)} above the floor; ${describe(list.at(-1)!)}` +
          (a === undefined ? '' : `; above the floor ansible ${ms(a - floorWall)}, phoenix ${ms(wall - floorWall)} ` +
            `(${((a - floorWall) / Math.max(1, wall - floorWall)).toFixed(1)}x); the most any tool's no-op could reach here: ` +
            `ansible / floor = ${(a / floorWall).toFixed(1)}x; ansible median of ${r.ansible.length}, spread ${spread(r.ansible.map((x) => x.run.wallMs))}, ` +
            `${r.ansible.at(-1)!.executed} task-hosts, ${r.ansible.at(-1)!.sessions} exec sessions, ${r.ansible.at(-1)!.connections} conn`),
      });
    }
  }
  rows.push(...growthRows(results));
  return rows;
}

/** Cost per extra container (same nodes, fewest -> most CTs) and per extra node (same CTs per node), from the medians. */
function growthRows(results: SizeResult[]): Row[] {
  const rows: Row[] = [];
  const wall = (r: SizeResult, which: 'noop' | 'check'): number => median(r[which].map((x) => x.run.wallMs));
  const ends = (group: SizeResult[], key: 'nodes' | 'perNode'): [SizeResult, SizeResult] | undefined => {
    const sorted = [...group].sort((x, y) => x.size[key] - y.size[key]);
    return sorted.length > 1 ? [sorted[0], sorted[sorted.length - 1]] : undefined;
  };
  for (const which of ['noop', 'check'] as const) {
    const name = which === 'noop' ? 'no-op' : '--check';
    for (const n of new Set(results.map((r) => r.size.nodes))) {
      const pair = ends(results.filter((r) => r.size.nodes === n), 'perNode');
      if (!pair) continue;
      const [a, b] = pair;
      const extra = (b.size.perNode - a.size.perNode) * n;
      const per = (wall(b, which) - wall(a, which)) / extra;
      rows.push({ part: 'fleet', case: `growth, ${name}: per extra container (${label(a.size)} -> ${label(b.size)})`,
        phoenix: ms(per), goal: which === 'noop' ? '< 50 ms' : undefined, met: which === 'noop' ? per < 50 : undefined,
        detail: `(${ms(wall(b, which))} - ${ms(wall(a, which))}) / ${extra} containers` });
    }
    for (const p of new Set(results.map((r) => r.size.perNode))) {
      const pair = ends(results.filter((r) => r.size.perNode === p), 'nodes');
      if (!pair) continue;
      const [a, b] = pair;
      const per = (wall(b, which) - wall(a, which)) / (b.size.nodes - a.size.nodes);
      rows.push({ part: 'fleet', case: `growth, ${name}: per extra node of ${p} CTs (${label(a.size)} -> ${label(b.size)})`,
        phoenix: ms(per), detail: `(${ms(wall(b, which))} - ${ms(wall(a, which))}) / ${b.size.nodes - a.size.nodes} nodes` });
    }
  }
  return rows;
}

/** Install counts of each first run against the seed's approach, and where the largest no-op spends its time. */
function fleetNotes(results: SizeResult[]): string[] {
  const notes: string[] = ['', '### Install cost of each first run (fresh nodes) against the seed\'s approach', '',
    '| fleet | `.run` downloads (bytes) | installer runs: node / template / clone | CUDA toolkit installs | CUDA repo bytes fetched (.deb) | seed: installer runs | seed: CUDA installs, bytes (.deb) |',
    '|---|---|---|---|---|---|---|'];
  for (const r of results) {
    const lxc = JSON.parse(readFileSync(join(r.files.configDir, 'phoenix_lxc_configs.json'), 'utf8')).lxc_configs as Record<string, { template_snapshot_name?: string }>;
    const isTemplate = (host: string): boolean => lxc[host.replace(/^ct/, '')]?.template_snapshot_name !== undefined;
    const i = r.install;
    const gpuCts = nvidiaContainers(r.files);
    const perInstall = i.cudaInstalls.length ? i.cudaDebBytes / i.cudaInstalls.length : 0;
    notes.push(`| ${label(r.size)} | ${i.runDownloads} (${i.runBytes}) | ${i.nodeInstalls.length} / ${i.ctInstalls.filter(isTemplate).length} / ` +
      `${i.ctInstalls.filter((h) => !isTemplate(h)).length} | ${i.cudaInstalls.length} (${i.cudaInstalls.join(' ')}) | ${i.cudaBytes} (${i.cudaDebBytes}) | ` +
      `${r.size.nodes} + ${gpuCts} = ${r.size.nodes + gpuCts} | ${gpuCts}, ${Math.round(perInstall * gpuCts)} (${gpuCts} x ${Math.round(perInstall)}) |`);
  }
  const largest = results.at(-1)!;
  notes.push('', `### Where the no-op re-run of ${label(largest.size)} spends its time (last run; per task, summed over batches)`, '');
  for (const t of taskTimes(largest.noop.at(-1)!.run).slice(0, 8)) notes.push(`- ${ms(t.ms)} ${t.name}`);
  return notes;
}

/** Containers whose features (inherited from their templates) include nvidia: the seed installs the driver in each. */
function nvidiaContainers(files: FleetFiles): number {
  const lxc = JSON.parse(readFileSync(join(files.configDir, 'phoenix_lxc_configs.json'), 'utf8')).lxc_configs as
    Record<string, { features?: string[]; clone_from_ctid?: string }>;
  const has = (id: string): boolean => (lxc[id].features ?? []).includes('nvidia') ||
    (lxc[id].clone_from_ctid !== undefined && has(String(lxc[id].clone_from_ctid)));
  return Object.keys(lxc).filter(has).length;
}
