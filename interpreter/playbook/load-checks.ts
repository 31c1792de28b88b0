/**
 * Keyword-level parts of the loader: inherited keywords of blocks and tasks, conditions that must parse, unknown
 * or mistyped keywords, and notify names without a handler.
 */
import { validateWithSchema } from '../schema/validate.js';
import { isTemplated } from '../vars/template.js';
import { parseExpression } from '../expr/index.js';
import { bool, fail, guard, isMap, list, type LoadContext, type Raw, type Source } from './load-context.js';
import type { Condition, Inherited, Node, Play } from './types.js';

/** Own keywords merged over the parent's (tags and when accumulate, vars merge, the rest override). */
export function inheritedOf(ctx: LoadContext, src: Source, raw: Raw, parent: Inherited): Inherited {
  return {
    when: [...parent.when, ...(conditions(ctx, src, raw, 'when') ?? [])],
    tags: [...new Set([...parent.tags, ...list(raw.tags)])],
    vars: isMap(raw.vars) ? { ...parent.vars, ...raw.vars } : parent.vars,
    become: bool(raw.become) ?? parent.become,
    checkMode: bool(raw.check_mode) ?? parent.checkMode,
    diff: bool(raw.diff) ?? parent.diff,
    noLog: raw.no_log !== undefined ? (typeof raw.no_log === 'string' ? raw.no_log : bool(raw.no_log)) : parent.noLog,
    ignoreErrors: bool(raw.ignore_errors) ?? parent.ignoreErrors,
    environment: isMap(raw.environment) ? { ...parent.environment, ...raw.environment } : parent.environment,
    delegateTo: typeof raw.delegate_to === 'string' ? raw.delegate_to : parent.delegateTo,
    runOnce: bool(raw.run_once) ?? parent.runOnce,
    anyErrorsFatal: bool(raw.any_errors_fatal) ?? parent.anyErrorsFatal,
  };
}

export function emptyInherited(): Inherited {
  return { when: [], tags: [], vars: {} };
}

export function conditions(ctx: LoadContext, src: Source, raw: Raw, key: string): Condition[] | undefined {
  const value = raw[key];
  if (value === undefined || value === null) return undefined;
  const items = Array.isArray(value) ? value : [value];
  return items.map((item, i) => {
    const pos = Array.isArray(value) ? src.yaml.positions.valueOf(value, i) : src.yaml.positions.valueOf(raw, key);
    const text = typeof item === 'boolean' ? item : String(item);
    if (typeof text === 'string') guard(ctx, () => parseExpression(text, pos));
    return { text, pos };
  });
}

export function checkNotify(ctx: LoadContext, src: Source, play: Play): void {
  const names = new Set<string>();
  for (const h of play.handlers) {
    names.add(h.name);
    h.listen.forEach((l) => names.add(l));
  }
  const visit = (nodes: Node[]): void => {
    for (const node of nodes) {
      if (node.kind === 'block') [node.block, node.rescue, node.always].forEach(visit);
      if (node.kind === 'include' && node.preloaded) visit(node.preloaded);
      if (node.kind !== 'task') continue;
      for (const n of node.notify) {
        if (!names.has(n) && !isTemplated(n)) {
          fail(ctx, 'E_UNKNOWN_HANDLER', `notify names no handler: '${n}'`, node.pos, `define a handler named '${n}' (or with listen: '${n}') in this play`);
        }
      }
    }
  };
  [play.preTasks, play.tasks, play.postTasks, play.handlers].forEach(visit);
}

export function checkKeywords(ctx: LoadContext, src: Source, raw: Raw, allowed: Set<string>, what: string): void {
  for (const key of Object.keys(raw)) {
    if (!allowed.has(key)) fail(ctx, 'E_UNKNOWN_KEYWORD', `'${key}' is not a valid ${what} keyword`, src.yaml.positions.of(raw, key)!);
  }
}

export function checkSchema(ctx: LoadContext, src: Source, raw: Raw, schema: Record<string, unknown>): void {
  for (const p of validateWithSchema(schema, raw)) {
    fail(ctx, 'E_KEYWORD_TYPE', p.message, (p.path[0] ? src.yaml.positions.valueOf(raw, p.path[0]) : undefined) ?? src.yaml.positions.of(raw)!);
  }
}
