import { posix } from 'node:path';
import { aliasExclusions, aliasProperties, normalizeAliases, requireAny } from './common/aliases.js';
import { exclusive, given, isTrue, oneRequired, when } from './common/rules.js';
import { applyAttributes, attributeDelta, attributeSchema, describeDelta, isEmptySet, type AttributeArgs, type AttributeSet } from './common/attributes.js';
import { backupFile } from './common/content.js';
import { absentLines, presentLine, readLines } from './common/line-edit.js';
import { dirChanges, planDirs, type DirPlan } from './common/parents.js';
import { probeAndRead, probePath, type PathInfo } from './common/probe.js';
import { validateSchema, writeFile } from './common/write-file.js';
import { ModuleFailure, type Change, type Module, type ModuleContext, type Plan } from './types.js';

export interface LineinfileArgs extends AttributeArgs {
  path: string;
  state?: 'present' | 'absent';
  line?: string;
  regexp?: string;
  search_string?: string;
  insertafter?: string;
  insertbefore?: string;
  backrefs?: boolean;
  create?: boolean;
  backup?: boolean;
  firstmatch?: boolean;
  validate?: string;
}

interface LineState {
  path: string;
  content?: string;
  existing: PathInfo | null;
  attrs: AttributeSet;
  backup: boolean;
  validate?: string;
  /** Directories create=yes makes before the file. */
  parents?: DirPlan;
}

const ALIASES = { path: ['dest', 'destfile', 'name'], regexp: ['regex'], line: ['value'] };

/** Reads the file in one operation; a directory or unreadable path is a task failure. */
async function readText(ctx: ModuleContext, path: string): Promise<string | null> {
  let data: Buffer | null;
  try {
    data = await ctx.conn.get(path);
  } catch (error) {
    const info = await probePath(ctx.conn, path, { follow: true });
    if (info?.kind === 'directory') throw new ModuleFailure(`Path ${path} is a directory !`, { rc: 256 });
    throw new ModuleFailure(`cannot read ${path}: ${(error as Error).message}`);
  }
  return data === null ? null : data.toString('utf8');
}

/**
 * Content and stat in one command when the task also manages attributes (one round trip per no-op task); anything
 * unusual (a directory, a dangling link, an unreadable file) takes the two-step path with its exact messages.
 */
async function readWithInfo(ctx: ModuleContext, path: string): Promise<{ before: string | null; probed?: PathInfo | null }> {
  try {
    const { info, text } = await probeAndRead(ctx.conn, path);
    if (info === null || info.kind === 'file') return { before: text, probed: info };
  } catch {
    // fall through to the two-step path
  }
  return { before: await readText(ctx, path) };
}

/** The schema that holds when an argument is given under its name or one of its aliases. */
function has(name: keyof typeof ALIASES): Record<string, unknown> {
  return { anyOf: [name, ...ALIASES[name]].map((n) => ({ required: [n] })) };
}

/** Ansible's argument rules of lineinfile, as schema clauses (aliases count as their argument). */
const RULES = [
  ...exclusive('insertbefore', 'insertafter'),
  ...exclusive('regexp', 'search_string'),
  ...exclusive('regex', 'search_string'),
  when(isTrue('backrefs'), { not: { required: ['search_string'] } }, 'parameters are mutually exclusive: backrefs|search_string'),
  when(isTrue('backrefs'), { anyOf: [given('state', ['absent']), has('regexp')] }, 'regexp is required with backrefs=true'),
  { anyOf: [given('state', ['absent']), has('line')], message: 'line is required with state=present' },
  when(given('state', ['absent']), oneRequired(['line', 'value', 'search_string', 'regexp', 'regex']),
    'one of line, search_string, or regexp is required with state=absent'),
];

/** The edited text and Ansible's msg, or null text when the file must not be touched. */
function edit(args: LineinfileArgs, before: string | null): { after: string; msg: string; changed: boolean; found?: number } {
  const lines = readLines(before ?? '');
  if (args.state === 'absent') {
    const { lines: kept, found } = absentLines(lines, args);
    return { after: kept.join(''), msg: found ? `${found} line(s) removed` : '', changed: found > 0, found };
  }
  const result = presentLine(lines, { ...args, line: args.line! });
  return { after: result.lines.join(''), msg: result.msg, changed: result.changed };
}

function okReason(args: LineinfileArgs, path: string, attrs: boolean): string {
  const suffix = attrs ? ' and has the requested attributes' : '';
  if (args.state === 'absent') return `no line to remove in ${path}${suffix}`;
  if (args.backrefs) return `${path} already has the line, or regexp matches nothing (backrefs)${suffix}`;
  return `${path} already has the line${suffix}`;
}

/** Ansible's `lineinfile`: ensure one line is present (replacing the last regexp match) or absent. */
export const lineinfile: Module<LineinfileArgs, LineState> = {
  name: 'lineinfile',
  schema: {
    type: 'object',
    properties: aliasProperties(
      {
        path: { type: 'string' },
        state: { enum: ['present', 'absent'] },
        line: { type: 'string' },
        regexp: { type: 'string' },
        search_string: { type: 'string' },
        insertafter: { type: 'string' },
        insertbefore: { type: 'string' },
        backrefs: { type: 'boolean' },
        create: { type: 'boolean' },
        backup: { type: 'boolean' },
        firstmatch: { type: 'boolean' },
        validate: validateSchema,
        ...attributeSchema,
      },
      ALIASES,
    ),
    ...requireAny('path', ALIASES),
    allOf: [...aliasExclusions(ALIASES), ...RULES],
    additionalProperties: false,
  },
  async plan(ctx, rawArgs) {
    const args = normalizeAliases<LineinfileArgs>(rawArgs as unknown as Record<string, unknown>, ALIASES);
    const path = args.path;
    const wantsAttrs = args.mode !== undefined || !!args.owner || !!args.group;
    const { before, probed } = wantsAttrs ? await readWithInfo(ctx, path) : { before: await readText(ctx, path), probed: undefined };
    if (before === null && args.state === 'absent') return { changes: [], reason: `${path} does not exist`, data: { msg: 'file not present', found: 0, backup: '' } };
    if (before === null && !args.create) throw new ModuleFailure(`Destination ${path} does not exist !`, { rc: 257 });
    const result = edit(args, before);
    const existing = before !== null && (result.changed || wantsAttrs)
      ? probed ?? await probePath(ctx.conn, path, { follow: true }) : null;
    const delta = before === null || existing ? attributeDelta(existing, args) : { set: {}, before: {}, after: {} };
    // create=yes makes the missing directories too, as Ansible's os.makedirs does (here each with mode 0755).
    const parents = before === null ? await planDirs(ctx.conn, posix.dirname(path), { mode: 0o755 }) : undefined;
    const changes: Change[] = [...dirChanges(parents)];
    if (result.changed) changes.push({ summary: `${result.msg} in ${path}`, diff: { path, before: before ?? '', after: result.after } });
    if (!isEmptySet(delta.set) && existing) changes.push({ summary: `set ${describeDelta(delta)} on ${path}` });
    const data: Record<string, unknown> = { msg: result.msg, backup: '' };
    if (result.found !== undefined) data.found = result.found;
    const state: LineState = { path, content: result.changed ? result.after : undefined, existing, attrs: delta.set, backup: !!args.backup, validate: args.validate, parents };
    if (changes.length) return { changes, state, data } satisfies Plan<LineState>;
    return { changes, reason: okReason(args, path, wantsAttrs), data };
  },
  async apply(ctx, _args, plan) {
    const { path, content, existing, attrs } = plan.state!;
    const data: Record<string, unknown> = {};
    if (content === undefined) {
      await applyAttributes(ctx.conn, path, attrs);
      return { data };
    }
    if (plan.state!.backup && existing) data.backup = await backupFile(ctx, path);
    await writeFile(ctx, path, content, attrs, existing, plan.state!.validate, plan.state!.parents);
    return { data };
  },
};
