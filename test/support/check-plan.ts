import { LocalConnection } from '../../interpreter/connection/local.js';
import { validateWithSchema } from '../../interpreter/schema/validate.js';
import { ModuleFailure, type Module, type ModuleContext } from '../../modules/types.js';

/**
 * Planning a module in check mode on this machine, as the executor does, for the real-GPU scripts (test/gpu/,
 * test/modules/nvidia_run/gpu-check.ts): a local connection, no templating, nothing applied.
 */

/** A context on the local connection, check mode unless `check: false` (`vars` as the task would see them). */
export function localCheckContext(conn: LocalConnection, options: { check?: boolean; diff?: boolean; vars?: Record<string, unknown> } = {}): ModuleContext {
  return {
    host: conn.host, conn, check: options.check ?? true, diff: options.diff ?? true, vars: options.vars ?? {}, env: {},
    connect: async () => conn,
    resolvePath: (p) => p,
    renderTemplate: (t) => t,
    evaluate: () => undefined,
    log: () => undefined,
    progress: () => undefined,
  };
}

/** A planned outcome: status, the reason or failure text, change summaries, data, facts, the first diff's after. */
export interface CheckOutcome {
  status: 'ok' | 'changed' | 'failed' | 'skipped';
  text: string;
  changes: string[];
  data: Record<string, unknown>;
  facts?: Record<string, unknown>;
  after?: string;
}

/** Validates (on a copy, as the executor coerces) and plans; a ModuleFailure is a failed outcome. Never applies. */
export async function planInCheckMode(module: Module, args: Record<string, unknown>, ctx: ModuleContext): Promise<CheckOutcome> {
  const copy = structuredClone(args);
  const problems = validateWithSchema(module.schema, copy);
  if (problems.length) {
    return { status: 'failed', text: `invalid arguments: ${problems.map((p) => p.message).join('; ')}`, changes: [], data: {} };
  }
  try {
    const p = await module.plan(ctx, copy);
    const base = { changes: p.changes.map((c) => c.summary), data: p.data ?? {}, facts: p.facts, after: p.changes[0]?.diff?.after };
    if (p.fail) return { ...base, status: 'failed', text: p.fail };
    if (p.skip) return { ...base, status: 'skipped', text: p.skip };
    return { ...base, status: p.changes.length ? 'changed' : 'ok', text: p.reason ?? '' };
  } catch (error) {
    if (error instanceof ModuleFailure) return { status: 'failed', text: error.message, changes: [], data: error.data ?? {} };
    throw error;
  }
}
