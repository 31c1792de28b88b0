import { createHash } from 'node:crypto';
import { lstat, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { LocalConnection } from '../../interpreter/connection/local.js';
import type { Connection } from '../../interpreter/connection/types.js';
import { evaluate } from '../../interpreter/expr/evaluate.js';
import { parseExpression } from '../../interpreter/expr/parse.js';
import { UNDEFINED } from '../../interpreter/expr/values.js';
import type { FileDiff } from '../../interpreter/result.js';
import { validateWithSchema } from '../../interpreter/schema/validate.js';
import { renderTemplate } from '../../interpreter/vars/template.js';
import { ModuleFailure, type Change, type Module, type ModuleContext } from '../../modules/types.js';

export interface ContextOptions {
  check?: boolean;
  diff?: boolean;
  vars?: Record<string, unknown>;
  env?: Record<string, string>;
  /** Directory controller paths (copy/template `src`) resolve against. */
  baseDir?: string;
}

/** A real ModuleContext over a LocalConnection, as the executor builds one; `logs` collects log lines. */
export function moduleContext(options: ContextOptions = {}): ModuleContext & { logs: string[] } {
  const vars = options.vars ?? {};
  const conn = new LocalConnection('localhost');
  const logs: string[] = [];
  return {
    host: 'localhost',
    conn,
    check: options.check ?? false,
    diff: options.diff ?? false,
    vars,
    env: options.env ?? {},
    logs,
    async connect() {
      return conn;
    },
    resolvePath(path) {
      return isAbsolute(path) ? path : join(options.baseDir ?? process.cwd(), path);
    },
    renderTemplate(text, source) {
      return renderTemplate(text, vars, { what: source });
    },
    evaluate(expression) {
      return evaluate(parseExpression(expression), { lookup: (name) => (name in vars ? vars[name] : UNDEFINED) });
    },
    log(message) {
      logs.push(message);
    },
    progress(message) {
      logs.push(message);
    },
  };
}

/** What one task did, in the executor's terms, for assertions. */
export interface Outcome {
  status: 'ok' | 'changed' | 'failed' | 'skipped';
  reason?: string;
  msg?: string;
  changes: Change[];
  diffs: FileDiff[];
  data: Record<string, unknown>;
  facts?: Record<string, unknown>;
}

/**
 * Runs a module the way the executor does: schema validation, plan, then (unless check mode or an empty plan)
 * apply. A ModuleFailure becomes a failed outcome; anything else propagates.
 */
export async function runModule(module: Module, args: Record<string, unknown>, ctx: ModuleContext): Promise<Outcome> {
  const copy = structuredClone(args);
  const problems = validateWithSchema(module.schema, copy);
  if (problems.length) throw new Error(`invalid arguments: ${problems.map((p) => p.message).join('; ')}`);
  try {
    const plan = await module.plan(ctx, copy);
    const base = { changes: plan.changes, diffs: plan.changes.flatMap((c) => (c.diff ? [c.diff] : [])), data: plan.data ?? {}, facts: plan.facts };
    if (plan.fail) return { ...base, status: 'failed', msg: plan.fail };
    if (plan.skip !== undefined) return { ...base, status: 'skipped', msg: plan.skip };
    if (ctx.check && plan.skipInCheck) return { ...base, status: 'skipped', msg: plan.skipInCheck };
    if (plan.changes.length === 0) return { ...base, status: 'ok', reason: plan.reason };
    if (ctx.check) return { ...base, status: 'changed' };
    const applied = await module.apply(ctx, copy, plan);
    const data = { ...base.data, ...applied.data };
    if (applied.failed) return { ...base, data, status: 'failed', msg: applied.failed };
    const changed = applied.changed ?? true;
    return { ...base, data, facts: applied.facts ?? base.facts, status: changed ? 'changed' : 'ok' };
  } catch (error) {
    if (error instanceof ModuleFailure) return { status: 'failed', msg: error.message, changes: [], diffs: [], data: error.data };
    throw error;
  }
}

/** A fresh temporary directory (removed by {@link removeDir}). */
/**
 * The messages the module's schema gives for `args` (the load-time check of literal arguments and the run-time check
 * of rendered ones both report them, as E_MODULE_ARGS and as a failed task): argument rules live only there.
 */
export function argumentErrors(module: Module, args: Record<string, unknown>): string[] {
  return validateWithSchema(module.schema, structuredClone(args)).map((p) => p.message);
}

export function tempDir(prefix = 'phoenix-mod-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/**
 * Every entry under `dir` with its type, mode and content hash (or link target), to prove that planning and check
 * mode change nothing and that check mode predicted what apply did.
 */
export async function snapshotTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(path: string): Promise<void> {
    const st = await lstat(path);
    const rel = relative(dir, path) || '.';
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) out[rel] = `link ${await readlink(path)}`;
    else if (st.isDirectory()) {
      out[rel] = `dir ${mode}`;
      for (const name of (await readdir(path)).sort()) await walk(join(path, name));
    } else out[rel] = `file ${mode} ${createHash('sha1').update(await readFile(path)).digest('hex')}`;
  }
  await walk(dir);
  return out;
}

/** Where a lab test's module contexts get their connections: a ConnectionPool. */
export interface ConnectionSource {
  get(host: string): Promise<Connection>;
}

/**
 * A ModuleContext for `host` over real connections from `pool` (lab tests): no templates or expressions (the
 * modules under test are given rendered arguments), no log.
 */
export async function poolModuleContext(pool: ConnectionSource, host: string,
  options: { check?: boolean; diff?: boolean; vars?: Record<string, unknown> } = {}): Promise<ModuleContext> {
  return {
    host, conn: await pool.get(host), check: options.check ?? false, diff: options.diff ?? false, vars: options.vars ?? {}, env: {},
    connect: (name) => pool.get(name),
    resolvePath: (p) => p,
    renderTemplate: () => { throw new Error('unused'); },
    evaluate: () => { throw new Error('unused'); },
    log: () => undefined,
    progress: () => undefined,
  };
}
