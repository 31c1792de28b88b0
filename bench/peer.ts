import { rmSync } from 'node:fs';
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

/** What the sshd logs say one run did. */
export interface Traffic {
  /** TCP connections that logged in. */
  connections: number;
  /** exec requests (one per remote command). */
  commands: number;
  /** Files opened over SFTP (internal-sftp logs each open). */
  sftpOpens: number;
}

export interface Measured {
  run: Timed;
  traffic: Traffic;
}

/** Runs one tool once on the workload and counts its SSH traffic. */
export async function runOnce(tool: Tool, targets: Targets, inventory: string, forks: number): Promise<Measured> {
  const [command, ...args] = commandOf(tool, inventory, forks);
  const mark = targets.mark();
  const env = { ...process.env, ANSIBLE_CONFIG: targets.ansibleConfig, ANSIBLE_NOCOLOR: '1', NO_COLOR: '1' };
  const run = await timed(command, args, { cwd: REPO_ROOT, env });
  await new Promise((r) => setTimeout(r, 100)); // sshd writes its last lines as sessions close
  const traffic = {
    connections: targets.countSince(mark, /Accepted publickey/),
    commands: targets.countSince(mark, /Starting session: command/),
    sftpOpens: targets.countSince(mark, /\bopen "/),
  };
  return { run, traffic };
}

/** First run on clean targets, then the no-op re-run; fails loudly if either run did not do what it should. */
export async function firstAndRerun(tool: Tool, targets: Targets, hosts: number, forks: number):
  Promise<{ first: Measured; rerun: Measured }> {
  const inventory = targets.inventory(hosts);
  rmSync(WORKLOAD_ROOT, { recursive: true, force: true });
  const first = await runOnce(tool, targets, inventory, forks);
  expectRecap(first.run, `${tool} first run on ${hosts} hosts`, hosts, 'some');
  const rerun = await runOnce(tool, targets, inventory, forks);
  expectRecap(rerun.run, `${tool} re-run on ${hosts} hosts`, hosts, 'none');
  return { first, rerun };
}

export interface PeerOptions {
  hostCounts: number[];
  phoenixRuns: number;
  ansibleRuns: number;
  log: (line: string) => void;
}

/** Per no-op task per host: `1.0 cmd + 0.25 sftp` */
export function perTask(t: Traffic, hosts: number): string {
  const n = hosts * WORKLOAD_TASKS;
  return `${(t.commands / n).toFixed(2)} cmd + ${(t.sftpOpens / n).toFixed(2)} sftp-open per task-host, ` +
    `${t.connections} conn`;
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
          `${ms(a / (hosts * WORKLOAD_TASKS))}, phoenix ${ms(p / (hosts * WORKLOAD_TASKS))}; ` +
          `ansible ${perTask(last('ansible'), hosts)}; phoenix ${perTask(last('phoenix'), hosts)}`,
      });
    }
  }
  return rows;
}
