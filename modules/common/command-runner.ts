import { raw, shellCommand } from '../../interpreter/connection/quote.js';
import type { ApplyResult, ModuleContext, Plan } from '../types.js';
import { globExists } from './glob.js';

/** Arguments command and shell share (Ansible's names). */
export interface CommandArgs {
  cmd?: string;
  chdir?: string;
  creates?: string;
  removes?: string;
  stdin?: string;
  stdin_add_newline?: boolean;
  strip_empty_ends?: boolean;
}

export const commandSchemaProperties = {
  cmd: { type: 'string' },
  chdir: { type: 'string' },
  creates: { type: 'string' },
  removes: { type: 'string' },
  stdin: { type: 'string' },
  stdin_add_newline: { type: 'boolean' },
  strip_empty_ends: { type: 'boolean' },
} as const;

/** What to run: the shell line and what `cmd` registers (a list for command, the string for shell). */
export interface CommandLine {
  line: string;
  registered: string | string[];
}

const SKIP_IN_CHECK = 'Command would have run if not in check mode';
/** Ansible registers these as null when the command did not run. */
const NOT_RUN = { start: null, end: null, delta: null };

/** Prefixes `cd DIR &&` so the command (and creates/removes globs) run where Ansible runs them. */
export function inDir(chdir: string | undefined, line: string): string {
  return chdir ? `${shellCommand('cd', '--', chdir)} ${raw('&&').text} ${line}` : line;
}

async function matches(ctx: ModuleContext, chdir: string | undefined, pattern: string): Promise<boolean> {
  if (!chdir || pattern.startsWith('/')) return globExists(ctx.conn, pattern);
  return globExists(ctx.conn, `${chdir.replace(/\/+$/, '')}/${pattern}`);
}

/** creates/removes decide without running; otherwise the command must run, and check mode skips it. */
export async function planCommand(ctx: ModuleContext, args: CommandArgs, cmd: CommandLine): Promise<Plan<CommandLine>> {
  const would = ctx.check ? 'Would' : 'Did';
  const skip = (msg: string, stdout: string): Plan<CommandLine> => ({
    changes: [],
    reason: msg,
    data: { cmd: cmd.registered, rc: 0, stdout, stdout_lines: [stdout], stderr: '', stderr_lines: [], msg, ...NOT_RUN },
  });
  if (args.creates && (await matches(ctx, args.chdir, args.creates))) {
    return skip(`${would} not run command since '${args.creates}' exists`, `skipped, since ${args.creates} exists`);
  }
  if (args.removes && !(await matches(ctx, args.chdir, args.removes))) {
    return skip(`${would} not run command since '${args.removes}' does not exist`, `skipped, since ${args.removes} does not exist`);
  }
  const decided = args.creates !== undefined || args.removes !== undefined;
  const data: Record<string, unknown> = { cmd: cmd.registered };
  if (ctx.check) Object.assign(data, { rc: 0, stdout: '', stdout_lines: [], stderr: '', stderr_lines: [], msg: SKIP_IN_CHECK, ...NOT_RUN });
  const summary = `run ${typeof cmd.registered === 'string' ? cmd.registered : cmd.line}`;
  return { changes: [{ summary }], state: cmd, data, skipInCheck: decided ? undefined : SKIP_IN_CHECK };
}

function pythonTime(date: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds() * 1000, 6)}`;
}

function pythonDelta(ms: number): string {
  const s = Math.floor(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${Math.floor(s / 3600)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}.${String((ms % 1000) * 1000).padStart(6, '0')}`;
}

/** Python's str.splitlines(), which Ansible uses for stdout_lines/stderr_lines. */
function lines(text: string): string[] {
  const parts = text.split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/);
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** Runs the command; rc != 0 is a task failure ("non-zero return code"), reported changed as Ansible does. */
export async function applyCommand(ctx: ModuleContext, args: CommandArgs, cmd: CommandLine): Promise<ApplyResult> {
  let stdin: string | undefined = args.stdin;
  if (stdin !== undefined && args.stdin_add_newline !== false) stdin += '\n';
  const start = new Date();
  const result = await ctx.conn.run(inDir(args.chdir, cmd.line), { stdin, env: ctx.env });
  const end = new Date();
  const strip = (text: string) => (args.strip_empty_ends === false ? text : text.replace(/[\r\n]+$/, ''));
  const stdout = strip(result.stdout);
  const stderr = strip(result.stderr);
  const failed = result.rc !== 0 ? 'non-zero return code' : undefined;
  const data = {
    cmd: cmd.registered,
    rc: result.rc,
    stdout,
    stdout_lines: lines(stdout),
    stderr,
    stderr_lines: lines(stderr),
    start: pythonTime(start),
    end: pythonTime(end),
    delta: pythonDelta(end.getTime() - start.getTime()),
    msg: failed ?? '',
  };
  return { data, changed: true, failed };
}

const CMD_GIVEN = { required: ['cmd'], properties: { cmd: { type: 'string', pattern: '\\S' } } };
const ARGV_GIVEN = { required: ['argv'], properties: { argv: { type: 'array', minItems: 1 } } };

/** Ansible's argument errors of command (cmd or argv, not both) and shell (`argv: false`: cmd), as schema clauses. */
export function commandRules(argv: boolean): Record<string, unknown>[] {
  if (!argv) return [{ ...CMD_GIVEN, message: 'no command given' }];
  return [
    { anyOf: [CMD_GIVEN, ARGV_GIVEN], message: 'no command given' },
    { not: { allOf: [CMD_GIVEN, ARGV_GIVEN] }, message: 'only command or argv can be given, not both' },
  ];
}
