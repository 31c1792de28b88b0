import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { median, ms, spread, stopKeepers } from './measure.js';
import { firstAndRerun, type Form, type Measured } from './peer.js';
import { PHOENIX } from './paths.js';
import type { Row } from './table.js';
import type { Targets } from './targets.js';

/** The three ways a user starts phoenix, as the row names them. */
export const FORMS = ['phoenix', 'npx phoenix', 'node bin/phoenix.js'] as const;
export type FormName = (typeof FORMS)[number];

/**
 * What a user's shell has after the README's setup: a `phoenix` executable on PATH (here a private directory put
 * first, holding a symlink to bin/phoenix.js, so the machine's own /usr/local/bin/phoenix is neither used nor
 * changed), and an XDG_RUNTIME_DIR of the bench's own, so the SSH keeper its runs start is the bench's alone: cold
 * runs end it by pid (never another user's keeper) and its CPU is counted apart from other keepers on the machine.
 */
export interface UserShell {
  /** Holds pathDir and runtimeDir; removed by {@link removeShell}. */
  root: string;
  pathDir: string;
  runtimeDir: string;
  env: NodeJS.ProcessEnv;
  form(name: FormName): Form;
}

export function userShell(): UserShell {
  const root = mkdtempSync(join(tmpdir(), 'phoenix-bench-shell-'));
  const pathDir = join(root, 'bin');
  const runtimeDir = join(root, 'run');
  mkdirSync(pathDir);
  mkdirSync(runtimeDir, { mode: 0o700 });
  symlinkSync(PHOENIX, join(pathDir, 'phoenix'));
  const env = { ...process.env, PATH: `${pathDir}${delimiter}${process.env.PATH ?? ''}`, XDG_RUNTIME_DIR: runtimeDir };
  const commands: Record<FormName, string[]> = {
    phoenix: ['phoenix'], 'npx phoenix': ['npx', 'phoenix'], 'node bin/phoenix.js': [process.execPath, PHOENIX],
  };
  return { root, pathDir, runtimeDir, env, form: (name) => ({ command: commands[name], keeperScope: runtimeDir }) };
}

/** Ends the shell's keepers and removes its directories. */
export async function removeShell(shell: UserShell): Promise<void> {
  await stopKeepers(shell.runtimeDir);
  rmSync(shell.root, { recursive: true, force: true });
}

export interface FormsOptions {
  hosts: number;
  runs: number;
  ansibleRuns: number;
  log: (line: string) => void;
}

type Pair = { first: Measured; rerun: Measured };

/**
 * Issue 15, item 1: the peer workload as users type it. In each round: ansible-playbook, then every form cold (its
 * keeper ended before each run: every run loads ssh2 and logs in, then leaves a keeper) and warm (the keeper of the
 * previous run holds the connections). Same inventory, same forks, same sshd as the peer part.
 */
export async function forms(targets: Targets, options: FormsOptions): Promise<Row[]> {
  const shell = userShell();
  const env = { XDG_RUNTIME_DIR: shell.runtimeDir, PATH: shell.env.PATH };
  const results = new Map<string, Pair[]>();
  const push = (key: string, pair: Pair): void => void results.set(key, [...(results.get(key) ?? []), pair]);
  const rounds = Math.max(options.runs, options.ansibleRuns);
  for (let r = 0; r < rounds; r++) {
    if (r < options.ansibleRuns) push('ansible', await firstAndRerun('ansible', targets, options.hosts, options.hosts));
    if (r >= options.runs) continue;
    for (const name of FORMS) {
      const form = shell.form(name);
      const cold = await firstAndRerun('phoenix', targets, options.hosts, options.hosts, env, form,
        () => stopKeepers(shell.runtimeDir));
      push(`${name} cold`, cold);
      await new Promise((done) => setTimeout(done, 500)); // the keeper the cold run left logs in
      push(`${name} warm`, await firstAndRerun('phoenix', targets, options.hosts, options.hosts, env, form));
      options.log(`forms ${name} round ${r + 1}: cold ${ms(cold.first.run.wallMs)} / ${ms(cold.rerun.run.wallMs)}, ` +
        `warm ${ms(results.get(`${name} warm`)!.at(-1)!.first.run.wallMs)} / ${ms(results.get(`${name} warm`)!.at(-1)!.rerun.run.wallMs)}`);
    }
  }
  await removeShell(shell);
  const ansible = results.get('ansible') ?? [];
  const rows: Row[] = [];
  for (const phase of ['first', 'rerun'] as const) {
    const a = median(ansible.map((p) => p[phase].run.wallMs));
    rows.push({
      part: 'forms', case: `${phase === 'first' ? 'first run' : 'no-op re-run'}, ${options.hosts} hosts: ansible-playbook`,
      ansible: ms(a), phoenix: '', detail: `median of ${ansible.length}; spread ${spread(ansible.map((p) => p[phase].run.wallMs))}`,
    });
    for (const name of FORMS) {
      for (const state of ['cold', 'warm'] as const) {
        const pairs = results.get(`${name} ${state}`) ?? [];
        const walls = pairs.map((p) => p[phase].run.wallMs);
        const p = median(walls);
        const goal = name === 'phoenix' && state === 'warm' ? (phase === 'first' ? 20 : 50) : undefined;
        const last = pairs.at(-1)?.[phase];
        rows.push({
          part: 'forms', case: `${phase === 'first' ? 'first run' : 'no-op re-run'}, ${options.hosts} hosts: \`${name}\` ${state}`,
          ansible: ms(a), phoenix: ms(p), ratio: `${(a / p).toFixed(1)}x`,
          goal: goal ? `>= ${goal}x (issue 6)` : undefined, met: goal ? a / p >= goal : undefined,
          detail: `median of ${pairs.length}; spread ${spread(walls)}; CPU ${ms(median(pairs.map((x) => x[phase].run.cpuS * 1000)))}` +
            ` + keeper ${ms(median(pairs.map((x) => x[phase].run.keeperCpuS * 1000)))}; ` +
            `${last?.traffic.connections ?? '-'} conn; peak RSS ${Math.round((last?.run.maxRssKb ?? 0) / 1024)} MB`,
        });
      }
    }
  }
  return rows;
}
