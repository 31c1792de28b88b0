import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectRecap, median, ms, timed, type Timed } from './measure.js';
import type { Row } from './table.js';
import type { Targets } from './targets.js';
import { PHOENIX, REPO_ROOT } from './paths.js';

export const WORKLOAD = join(REPO_ROOT, 'bench', 'peer-workload.yml');
export const WORKLOAD_TASKS = 20;
/** Where the workload writes (one directory per inventory host); removed before every first run. */
export const WORKLOAD_ROOT = '/tmp/phoenix-bench';

export type Tool = 'ansible' | 'phoenix';

/** The exact command line of one tool on the workload (printed into RESULTS.md). */
export function commandOf(tool: Tool, inventory: string, forks: number): string[] {
  return tool === 'ansible'
    ? ['ansible-playbook', WORKLOAD, '-i', inventory, '-f', String(forks)]
    : [process.execPath, PHOENIX, 'run', WORKLOAD, '-i', inventory, '-f', String(forks)];
}

/** What one run did on the targets. */
export interface Traffic {
  /** TCP connections that logged in (sshd log). */
  connections: number;
  /** exec requests (sshd log): one per command for ansible; for phoenix one per long-lived remote shell. */
  sessions: number;
  /**
   * Remote commands: ansible's exec requests; phoenix's commands as counted by the run itself (PHOENIX_OP_LOG),
   * since they run inside its remote shells where the server cannot tell them apart.
   */
  commands: number;
  /** SFTP file operations the server logged: opens (a whole-file read or write), stat, lstat, readlink. */
  sftpOps: number;
}

/** The counts a phoenix run wrote with PHOENIX_OP_LOG (see interpreter/connection/op-count.ts). */
function phoenixCommands(opLog: string): number {
  const lines = readFileSync(opLog, 'utf8').trim().split('\n');
  return (JSON.parse(lines[lines.length - 1]) as { command: number }).command;
}

export interface Measured {
  run: Timed;
  traffic: Traffic;
}

/**
 * How phoenix is started (bench/forms.ts): the command's first words (`phoenix`, `npx phoenix`, `node bin/phoenix.js`;
 * the workload's arguments follow) and the keepers its runs start (see {@link TimedOptions.keeperScope}).
 */
export interface Form {
  command: string[];
  keeperScope?: string;
}

/** Runs one tool once on the workload and counts its SSH traffic. */
export async function runOnce(tool: Tool, targets: Targets, inventory: string, forks: number,
  extraEnv: NodeJS.ProcessEnv = {}, form?: Form): Promise<Measured> {
  const [command, ...args] = form && tool === 'phoenix'
    ? [...form.command, ...commandOf(tool, inventory, forks).slice(2)] : commandOf(tool, inventory, forks);
  const mark = targets.mark();
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-bench-ops-'));
  const opLog = join(dir, 'ops.jsonl');
  const env = {
    ...process.env, ANSIBLE_CONFIG: targets.ansibleConfig, ANSIBLE_NOCOLOR: '1', NO_COLOR: '1', PHOENIX_OP_LOG: opLog,
    ...extraEnv,
  };
  const run = await timed(command, args, { cwd: REPO_ROOT, env, keeperScope: form?.keeperScope });
  await new Promise((r) => setTimeout(r, 100)); // sshd writes its last lines as sessions close
  const sessions = targets.countSince(mark, /Starting session: command/);
  const traffic = {
    connections: targets.countSince(mark, /Accepted publickey/),
    sessions,
    commands: tool === 'phoenix' && run.code === 0 ? phoenixCommands(opLog) : sessions,
    sftpOps: targets.countSince(mark, /^(open|l?stat name|readlink) "/),
  };
  rmSync(dir, { recursive: true, force: true });
  return { run, traffic };
}

/** First run on clean targets, then the no-op re-run; fails loudly if either run did not do what it should. */
export async function firstAndRerun(tool: Tool, targets: Targets, hosts: number, forks: number,
  extraEnv: NodeJS.ProcessEnv = {}, form?: Form, beforeEach?: () => Promise<unknown>): Promise<{ first: Measured; rerun: Measured }> {
  const inventory = targets.inventory(hosts);
  rmSync(WORKLOAD_ROOT, { recursive: true, force: true });
  await beforeEach?.();
  const first = await runOnce(tool, targets, inventory, forks, extraEnv, form);
  expectRecap(first.run, `${tool} first run on ${hosts} hosts`, hosts, 'some');
  await beforeEach?.();
  const rerun = await runOnce(tool, targets, inventory, forks, extraEnv, form);
  expectRecap(rerun.run, `${tool} re-run on ${hosts} hosts`, hosts, 'none');
  return { first, rerun };
}

export interface PeerOptions {
  hostCounts: number[];
  phoenixRuns: number;
  ansibleRuns: number;
  log: (line: string) => void;
}

/** Per task per host: `0.15 cmd + 1.10 sftp per task-host, 4 conn, 4 sessions` */
export function perTask(t: Traffic, hosts: number): string {
  const n = hosts * WORKLOAD_TASKS;
  return `${(t.commands / n).toFixed(2)} cmd + ${(t.sftpOps / n).toFixed(2)} sftp per task-host, ` +
    `${t.connections} conn, ${t.sessions} exec sessions`;
}

/** ansible-playbook and phoenix on the same workload and targets, forks = hosts, runs interleaved. */
export async function peer(targets: Targets, options: PeerOptions): Promise<Row[]> {
  const rows: Row[] = [];
  for (const hosts of options.hostCounts) {
    const results: Record<Tool, Array<{ first: Measured; rerun: Measured }>> = { ansible: [], phoenix: [] };
    const rounds = Math.max(options.phoenixRuns, options.ansibleRuns);
    for (let r = 0; r < rounds; r++) {
      for (const tool of ['ansible', 'phoenix'] as Tool[]) {
        if (r >= (tool === 'ansible' ? options.ansibleRuns : options.phoenixRuns)) continue;
        const pair = await firstAndRerun(tool, targets, hosts, hosts);
        results[tool].push(pair);
        options.log(`peer ${hosts} host(s) ${tool}: first ${ms(pair.first.run.wallMs)}, re-run ${ms(pair.rerun.run.wallMs)}`);
      }
    }
    for (const phase of ['first', 'rerun'] as const) {
      const a = median(results.ansible.map((p) => p[phase].run.wallMs));
      const p = median(results.phoenix.map((x) => x[phase].run.wallMs));
      const goal = hosts === 4 ? (phase === 'first' ? 20 : 50) : undefined;
      const last = (tool: Tool): Traffic => results[tool][results[tool].length - 1][phase].traffic;
      rows.push({
        part: 'peer', case: `${phase === 'first' ? 'first run' : 'no-op re-run'}, ${hosts} host${hosts > 1 ? 's' : ''}`,
        ansible: ms(a), phoenix: ms(p), ratio: `${(a / p).toFixed(1)}x`,
        goal: goal ? `>= ${goal}x` : undefined, met: goal ? a / p >= goal : undefined,
        detail: `medians of ${results.ansible.length} / ${results.phoenix.length}; per task-host ansible ` +
          `${ms(a / (hosts * WORKLOAD_TASKS))}, phoenix ${ms(p / (hosts * WORKLOAD_TASKS))}; phoenix CPU ` +
          `${ms(median(results.phoenix.map((x) => x[phase].run.cpuS * 1000)))} + SSH keeper ` +
          `${ms(median(results.phoenix.map((x) => x[phase].run.keeperCpuS * 1000)))}; ` +
          `ansible ${perTask(last('ansible'), hosts)}; phoenix ${perTask(last('phoenix'), hosts)}`,
      });
    }
    rows.push(...await withoutKeeper(targets, hosts, results.ansible, options));
  }
  return rows;
}

/**
 * The same runs with PHOENIX_SSH_PERSIST=0: no keeper, so every run starts ssh2 and logs in to every host, as a
 * run does when the keeper has ended (60 s after the last run). Shown beside the table's ratios, no goal.
 */
async function withoutKeeper(targets: Targets, hosts: number, ansible: Array<{ first: Measured; rerun: Measured }>,
  options: PeerOptions): Promise<Row[]> {
  const pairs: Array<{ first: Measured; rerun: Measured }> = [];
  for (let r = 0; r < options.phoenixRuns; r++) {
    pairs.push(await firstAndRerun('phoenix', targets, hosts, hosts, { PHOENIX_SSH_PERSIST: '0' }));
  }
  options.log(`peer ${hosts} host(s) phoenix without keeper: re-runs ${pairs.map((p) => ms(p.rerun.run.wallMs)).join(', ')}`);
  return (['first', 'rerun'] as const).map((phase) => {
    const a = median(ansible.map((p) => p[phase].run.wallMs));
    const p = median(pairs.map((x) => x[phase].run.wallMs));
    return {
      part: 'peer', case: `${phase === 'first' ? 'first run' : 'no-op re-run'}, ${hosts} host${hosts > 1 ? 's' : ''}, ` +
        'no keeper (PHOENIX_SSH_PERSIST=0)',
      ansible: ms(a), phoenix: ms(p), ratio: `${(a / p).toFixed(1)}x`,
      detail: `medians of ${ansible.length} / ${pairs.length}; every phoenix run logs in to every host; ` +
        `phoenix ${perTask(pairs[pairs.length - 1][phase].traffic, hosts)}`,
    };
  });
}
