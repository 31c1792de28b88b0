import { posix } from 'node:path';
import { quote, raw, shellCommand } from '../../interpreter/connection/quote.js';
import type { Connection } from '../../interpreter/connection/types.js';
import { ModuleFailure, type Change } from '../types.js';
import { formatMode } from './mode.js';
import { runChecked } from './run-checked.js';
import { stateDiff } from './state-diff.js';

/**
 * The directories a module must create before it writes a file it owns (`/etc/modprobe.d` on a fresh image without
 * kmod, the driver cache, `/etc/apt/keyrings`, ...): found while planning (in the same round trip as the module's
 * own probe where it has one, see {@link missingDirsScript}), listed as changes in check mode, created by apply one
 * ancestor at a time with an explicit mode (`mkdir -p` gives intermediate directories the umask's mode).
 */
export interface DirPlan {
  /** The directories to create, outermost first; empty when the directory exists. */
  dirs: string[];
  mode: number;
  owner?: string;
  group?: string;
}

/** What phoenix gives the directories of the system files it owns: 0755 root:root. */
export const SYSTEM_DIR = { mode: 0o755, owner: 'root', group: 'root' } as const;

export type DirSpec = Omit<DirPlan, 'dirs'>;

/** `dir` and its ancestors, nearest first, without `/` (and `.` for a relative path). */
export function ancestors(dir: string): string[] {
  const out: string[] = [];
  let current = posix.normalize(dir).replace(/\/+$/, '') || '/';
  while (current !== '/' && current !== '.' && current !== '') {
    out.push(current);
    current = posix.dirname(current);
  }
  return out;
}

/** Ends the {@link missingDirsScript} answer; its tag says which directory it is about. */
const MARK = 'phoenix-dirs';

/**
 * A shell fragment, for a module's existing probe command, that prints `phoenix-dirs <tag> <n> ok|notdir`: how many
 * of `dir` and its ancestors are missing (nearest first), and whether the first one that exists is not a directory.
 * Only `test` builtins: no process, no new round trip. Variables are prefixed so the host script's are untouched.
 */
export function missingDirsScript(tag: string, dir: string): string {
  const list = ancestors(dir);
  if (list.length === 0) return shellCommand('echo', MARK, tag, '0', 'ok');
  return [
    shellCommand(raw('_pd_n=0; _pd_r=ok; for _pd_d in'), ...list, raw('; do')),
    'if test -d "$_pd_d"; then break; fi',
    'if test -e "$_pd_d" || test -L "$_pd_d"; then _pd_r=notdir; break; fi',
    '_pd_n=$((_pd_n+1)); done',
    shellCommand(raw('echo'), MARK, tag, raw('"$_pd_n" "$_pd_r"')),
  ].join('\n');
}

function notADirectory(path: string, dir: string): ModuleFailure {
  return new ModuleFailure(`cannot create directory ${dir}: ${path} exists and is not a directory ` +
    `(move or remove ${path}, or choose another path)`, { path });
}

/**
 * The missing directories from a {@link missingDirsScript} answer inside `stdout`, outermost first. No answer (a
 * captured fixture from before the fragment existed) reads as "the directory exists".
 */
export function parseMissingDirs(stdout: string, tag: string, dir: string): string[] {
  const escaped = tag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`^${MARK} ${escaped} (\\d+) (ok|notdir)$`, 'm').exec(stdout);
  if (!m) return [];
  const list = ancestors(dir);
  const missing = list.slice(0, Number(m[1]));
  if (m[2] === 'notdir') throw notADirectory(list[missing.length] ?? dir, dir);
  return missing.reverse();
}

/**
 * The missing directories of `dir`, outermost first, for modules without a probe command of their own: over SFTP
 * (stat, no process) when the connection has it, else one {@link missingDirsScript} command. Call it only on the
 * changing path (a file that does not exist yet), so that a no-op run costs nothing more.
 */
export async function probeMissingDirs(conn: Connection, dir: string): Promise<string[]> {
  if (conn.statPath) {
    const missing: string[] = [];
    let known = true;
    for (const d of ancestors(dir)) {
      const st = await conn.statPath(d, { follow: true });
      if (st === undefined) {
        known = false;
        break;
      }
      if (st === null) {
        missing.push(d);
        continue;
      }
      if ((st.mode & 0o170000) !== 0o040000) throw notADirectory(d, dir);
      break;
    }
    if (known) return missing.reverse();
  }
  const result = await conn.run(missingDirsScript('probe', dir));
  if (result.rc !== 0) throw new ModuleFailure(`cannot look at ${dir}: ${result.stderr.trim() || `exit code ${result.rc}`}`);
  return parseMissingDirs(result.stdout, 'probe', dir);
}

/** A {@link DirPlan} for `dir` from its probe; `spec` defaults to {@link SYSTEM_DIR}. */
export async function planDirs(conn: Connection, dir: string, spec: DirSpec = SYSTEM_DIR): Promise<DirPlan> {
  return { ...spec, dirs: await probeMissingDirs(conn, dir) };
}

/** `root:root`, `app`, `:staff`, or undefined when neither owner nor group is asked for. */
function ownerSpec(plan: DirSpec): string | undefined {
  return plan.owner || plan.group ? `${plan.owner ?? ''}${plan.group ? `:${plan.group}` : ''}` : undefined;
}

function describe(plan: DirSpec): string {
  const owner = ownerSpec(plan);
  return `${formatMode(plan.mode)}${owner ? ` ${owner}` : ''}`;
}

/** The changes check mode lists: `create directory /etc/modprobe.d (0755)`, with the file module's state diff. */
export function dirChanges(plan: DirPlan | undefined): Change[] {
  if (!plan) return [];
  return plan.dirs.map((d) => ({
    summary: `create directory ${d} (${describe(plan)})`,
    diff: stateDiff(d, { state: 'absent' }, { state: 'directory', mode: formatMode(plan.mode) }),
  }));
}

/**
 * One shell command that creates each of `dirs` (outermost first) with exactly the plan's mode and owner. A
 * directory that appeared meanwhile (another host of the run, a package) is left as it is.
 */
export function createDirsCommand(plan: DirPlan): string {
  const mode = formatMode(plan.mode);
  const owner = ownerSpec(plan);
  return plan.dirs.map((d) => {
    const q = quote(d);
    const made = owner ? `chown ${quote(owner)} -- ${q}` : ':';
    return `if ! test -d ${q}; then if mkdir -m ${quote(mode)} -- ${q}; then ${made}; else test -d ${q}; fi; fi`;
  }).join(' && ');
}

/** A command that makes sure `dir` exists, creating each missing ancestor with `spec` (no planning: apply-only paths). */
export function ensureDirCommand(dir: string, spec: DirSpec = SYSTEM_DIR): string {
  const dirs = ancestors(dir).reverse();
  return dirs.length ? createDirsCommand({ ...spec, dirs }) : 'true';
}

/** Creates the planned directories (nothing when there are none). */
export async function createDirs(conn: Connection, plan: DirPlan | undefined): Promise<void> {
  if (!plan || plan.dirs.length === 0) return;
  await runChecked(conn, createDirsCommand(plan), `creating directory ${plan.dirs.join(', ')}`);
}
