/**
 * A task's module arguments at load time: the mapping or key=value string they are written as, every literal one
 * checked against the module's schema (templated ones wait for run time, same schema), templates that must parse.
 */
import type { SourcePosition } from '../errors.js';
import { validateKnown } from '../schema/validate.js';
import { checkTemplate, isTemplated } from '../vars/template.js';
import { parseExpression } from '../expr/index.js';
import { findModule } from '../../modules/registry.js';
import { parseKeyValue } from './kv.js';
import { fail, guard, isMap, list, type LoadContext, type Raw, type Source } from './load-context.js';
import type { TaskNode } from './types.js';

export function moduleArgs(ctx: LoadContext, src: Source, raw: Raw, moduleKey: string): Record<string, unknown> {
  const module = findModule(moduleKey)!;
  const value = raw[moduleKey];
  const extra = isMap(raw.args) ? raw.args : {};
  if (value === null || value === undefined) return { ...extra };
  if (isMap(value)) return { ...extra, ...value };
  if (typeof value === 'string' || typeof value === 'number') {
    const known = new Set(Object.keys((module.schema.properties ?? {}) as object));
    const { args, freeForm } = parseKeyValue(String(value), known);
    if (module.freeForm) return { ...extra, ...args, ...(freeForm ? { [module.freeForm]: freeForm } : {}) };
    if (freeForm) {
      fail(ctx, 'E_MODULE_ARGS', `module '${module.name}' takes key=value arguments, got '${freeForm}'`, src.yaml.positions.valueOf(raw, moduleKey)!);
    }
    return { ...extra, ...args };
  }
  fail(ctx, 'E_MODULE_ARGS', `arguments of '${module.name}' must be a mapping or a key=value string`, src.yaml.positions.valueOf(raw, moduleKey)!);
  return {};
}

/**
 * Every literal argument is validated now, before any task runs, with the module's schema; templated values (at any
 * depth) and the rules that look at them are left to the check of the rendered values at run time (same schema).
 * An argument whose literal value is null is unset, as after rendering.
 */
export function checkModuleArgs(ctx: LoadContext, src: Source, raw: Raw, moduleKey: string, task: TaskNode): void {
  const module = findModule(moduleKey)!;
  const rawArgs = new Set(module.rawArgs ?? []);
  const args = Object.fromEntries(Object.entries(task.args).filter(([, v]) => v !== null && v !== undefined));
  const templated = (path: readonly string[], value: unknown) => typeof value === 'string' && path.length > 0 && !rawArgs.has(path[0]) && isTemplated(value);
  for (const p of validateKnown(module.schema, args, templated)) {
    fail(ctx, 'E_MODULE_ARGS', `${module.name}: ${p.message}`, argumentPosition(src, raw, moduleKey, p.at ?? p.path) ?? task.pos,
      `see the arguments of '${module.name}' in the README`);
  }
}

/** Where an argument (or a value inside one) is written: its key in the module's mapping or in `args:`, else the module. */
export function argumentPosition(src: Source, raw: Raw, moduleKey: string, path: string[]): SourcePosition | undefined {
  const holders = [raw[moduleKey], raw.args].filter((h): h is Raw => isMap(h) && path[0] !== undefined && path[0] in h);
  if (holders.length === 0) return src.yaml.positions.of(raw, moduleKey);
  let holder: unknown = holders[0];
  let pos = src.yaml.positions.of(holder, path[0]);
  for (let i = 0; i + 1 < path.length; i++) {
    holder = (holder as Record<string, unknown>)[path[i]];
    if (!holder || typeof holder !== 'object') break;
    const key = Array.isArray(holder) ? Number(path[i + 1]) : path[i + 1];
    pos = (Array.isArray(holder) ? src.yaml.positions.valueOf(holder, key) : src.yaml.positions.of(holder, key)) ?? pos;
  }
  return pos;
}

export function checkTaskTemplates(ctx: LoadContext, src: Source, raw: Raw, task: TaskNode): void {
  const module = findModule(task.module)!;
  walkStrings(task.args, (text) => guard(ctx, () => checkTemplate(text, { pos: task.pos })), module.rawArgs);
  for (const key of ['name', 'loop_control']) walkStrings(raw[key], (text) => guard(ctx, () => checkTemplate(text, { pos: src.yaml.positions.of(raw, key) })));
  if (module.rawArgs?.includes('that')) {
    for (const text of list(task.args.that)) guard(ctx, () => parseExpression(text, task.pos));
  }
}

export function walkStrings(value: unknown, visit: (text: string) => void, skip: readonly string[] = []): void {
  if (typeof value === 'string') visit(value);
  else if (Array.isArray(value)) value.forEach((v) => walkStrings(v, visit));
  else if (isMap(value)) for (const [k, v] of Object.entries(value)) if (!skip.includes(k)) walkStrings(v, visit);
}
