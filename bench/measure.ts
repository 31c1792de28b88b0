import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

/** One finished command: wall time measured here, CPU and peak RSS from GNU time. */
export interface Timed {
  code: number;
  wallMs: number;
  /** User + system CPU seconds of the command and its children, as GNU time reports them. */
  cpuS: number;
  /** Peak resident set size of the largest process, in KiB (`%M`). */
  maxRssKb: number;
  /**
   * CPU seconds the SSH keeper processes (phoenix's kept connections, see interpreter/connection/keeper/) spent
   * during the command: SSH work a run hands to them, not counted by GNU time.
   */
  keeperCpuS: number;
  stdout: string;
  stderr: string;
  /** When each stdout line arrived, in ms since the start (per-task timing of the human output). */
  lineTimes: Array<{ atMs: number; line: string }>;
}

export interface TimedOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Count only SSH keepers whose command line contains this (the bench's private XDG_RUNTIME_DIR). */
  keeperScope?: string;
}

/** Runs `command args` under /usr/bin/time; never throws for a non-zero exit (the caller checks `code`). */
export function timed(command: string, args: string[], options: TimedOptions = {}): Promise<Timed> {
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-bench-time-'));
  const timeFile = join(dir, 'time');
  const keeperBefore = keeperCpuTicks(options.keeperScope);
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', '%U %S %M', '-o', timeFile, command, ...args], {
      cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const lineTimes: Array<{ atMs: number; line: string }> = [];
    let partial = '';
    child.stdout.on('data', (b: Buffer) => {
      out.push(b);
      const atMs = Number(process.hrtime.bigint() - started) / 1e6;
      const lines = (partial + b.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) lineTimes.push({ atMs, line });
    });
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.once('error', reject);
    child.once('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      const last = readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '';
      rmSync(dir, { recursive: true, force: true });
      const [user, sys, rss] = last.split(' ').map(Number);
      const keeperAfter = keeperCpuTicks(options.keeperScope);
      let keeperTicks = 0;
      for (const [pid, ticks] of keeperAfter) keeperTicks += ticks - (keeperBefore.get(pid) ?? 0);
      resolve({
        code: code ?? 1, wallMs, cpuS: (user || 0) + (sys || 0), maxRssKb: rss || 0, keeperCpuS: keeperTicks / 100,
        stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), lineTimes,
      });
    });
  });
}

/** The running SSH keeper processes (pid, resident KiB), from `ps`; with `scope`, only those whose command line has it. */
export function keeperProcesses(scope?: string): Array<{ pid: number; rssKb: number }> {
  let listing = '';
  try {
    listing = execFileSync('ps', ['-C', 'node', '-o', 'pid=,rss=,args='], { encoding: 'utf8' });
  } catch {
    return []; // no node process at all
  }
  return listing.split('\n').filter((line) => line.includes('__ssh-keeper') && (!scope || line.includes(scope))).map((line) => {
    const [pid, rss] = line.trim().split(/\s+/).map(Number);
    return { pid, rssKb: rss };
  });
}

/** utime + stime (clock ticks, 100 per second) of every running SSH keeper, by pid. */
function keeperCpuTicks(scope?: string): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const { pid } of keeperProcesses(scope)) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      ticks.set(pid, Number(fields[11]) + Number(fields[12]));
    } catch {
      // ended meanwhile
    }
  }
  return ticks;
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Totals of a PLAY RECAP (ansible-playbook's and phoenix's human output share its shape). */
export interface Recap {
  hosts: number;
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
}

export function parseRecap(stdout: string): Recap {
  const at = stdout.lastIndexOf('PLAY RECAP');
  const text = at >= 0 ? stdout.slice(at) : '';
  const recap: Recap = { hosts: 0, ok: 0, changed: 0, unreachable: 0, failed: 0 };
  for (const m of text.matchAll(/^\S+\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)) {
    recap.hosts++;
    recap.ok += Number(m[1]);
    recap.changed += Number(m[2]);
    recap.unreachable += Number(m[3]);
    recap.failed += Number(m[4]);
  }
  return recap;
}

/** Throws with the command's output tail when a run failed or did not produce the expected recap. */
export function expectRecap(run: Timed, what: string, hosts: number, changed?: 'none' | 'some'): Recap {
  const recap = parseRecap(run.stdout);
  const bad = run.code !== 0 || recap.hosts !== hosts || recap.failed > 0 || recap.unreachable > 0 ||
    (changed === 'none' && recap.changed > 0) || (changed === 'some' && recap.changed === 0);
  if (bad) {
    const tail = (run.stdout + run.stderr).split('\n').slice(-40).join('\n');
    throw new Error(`${what}: exit ${run.code}, recap ${JSON.stringify(recap)} (expected ${hosts} hosts, ` +
      `changed ${changed ?? 'any'})\n${tail}`);
  }
  return recap;
}

/** `1.23 s` or `456 ms`. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return '-';
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`;
}

export function load(): string {
  return loadavg().map((l) => l.toFixed(2)).join(' ');
}

/**
 * Ends the SSH keepers of `scope` (a private XDG_RUNTIME_DIR the bench gives its runs), by pid, and waits until they
 * are gone: the next run starts cold, as one does when the keeper ended 60 s after the previous run.
 */
export async function stopKeepers(scope: string): Promise<number> {
  const keepers = keeperProcesses(scope);
  for (const { pid } of keepers) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // ended meanwhile
    }
  }
  for (let i = 0; i < 50 && keepers.some(({ pid }) => existsSync(`/proc/${pid}`)); i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return keepers.length;
}

/** min-max of a list, `1.2-1.5 s`. */
export function spread(values: number[]): string {
  if (values.length === 0) return '-';
  return values.length === 1 ? ms(values[0]) : `${ms(Math.min(...values))} - ${ms(Math.max(...values))}`;
}
