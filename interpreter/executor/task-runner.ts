import { PhoenixError, type SourcePosition } from '../errors.js';
import { UnreachableError, CommandTimeoutError, type Connection } from '../connection/types.js';
import { evaluateCondition, scopeFromObject } from '../expr/index.js';
import {
  changedResult, failedResult, okResult, registeredValue, skippedResult, unreachableResult, type FileDiff, type HostResult,
} from '../result.js';
import { renderString, renderValue } from '../vars/template.js';
import { materialize } from '../vars/scope.js';
import { validateWithSchema } from '../schema/validate.js';
import { findModule } from '../../modules/registry.js';
import { ModuleFailure, type ApplyResult, type Module, type ModuleContext, type Plan } from '../../modules/types.js';
import { outcomeKey, type PlannedState } from './planned-state.js';
import { predictInPending, READ_ONLY_MODULES } from './predict-pending.js';
import type { Condition, TaskNode } from '../playbook/types.js';
import { connectionFor, moduleContext } from './context.js';
import { noteApply, type RunOptions, type RunServices } from './options.js';

/** Everything a task needs from the play around it. */
export interface TaskEnv {
  options: RunOptions;
  services: RunServices;
  playbookDir: string;
  /** The scope of a host for a node's vars, with optional loop variables. */
  scope(host: string, nodeVars: Record<string, unknown>, loop?: Record<string, unknown>): Record<string, unknown>;
  /** Records set_fact / register values on a host. */
  setFacts(host: string, facts: Record<string, unknown>): void;
  /**
   * In check mode: an earlier task of this run predicted creating or starting this container, so tasks inside it
   * cannot be planned against it yet (there is nothing to read): see {@link predictInPending}.
   */
  pendingContainer(host: string): PendingContainer | undefined;
  /** Check mode's memory of the run (absent in a real run). */
  planned?: PlannedState;
  /** Answers the hosts of this one task share (ModuleContext.oncePerTask); absent: nothing is shared. */
  shared?: Map<string, Promise<unknown>>;
}

/** A container the check run would create or start before the task (see {@link TaskEnv.pendingContainer}). */
export interface PendingContainer {
  /** `CT 903 does not exist yet`. */
  reason: string;
  vmid: number;
  /** Created in this run as a clone of this inventory host's snapshot. */
  cloneOf?: { host: string; vmid: number; snapname?: string };
  /** Created in this run from this OS template on the node. */
  template?: { node: string; ostemplate: string };
}

export interface TaskOutcome {
  result: HostResult;
  /** Facts (set_fact) to apply; with run_once they go to every host of the play. */
  facts: Record<string, unknown>;
}

const CENSORED = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

/** Runs one task on one host: conditions, loop, retries, changed_when/failed_when, ignore_errors, register. */
export async function runTask(task: TaskNode, host: string, env: TaskEnv, extraVars: Record<string, unknown> = {}): Promise<TaskOutcome> {
  const nodeVars = { ...extraVars, ...task.vars };
  const facts: Record<string, unknown> = {};
  let result: HostResult;
  try {
    result = task.loop === undefined
      ? await runConditional(task, host, env, nodeVars, undefined, facts)
      : await runLoop(task, host, env, nodeVars, facts);
  } catch (error) {
    result = errorResult(error, task.pos);
  }
  result = predictPending(task, host, env, result);
  if (result.status === 'failed' && task.ignoreErrors) result = { ...result, ignored: true };
  if (task.register) {
    const value = registeredValue(result);
    facts[task.register] = value;
  }
  return { result: task.noLog ? censor(result) : result, facts };
}

/**
 * Check mode, a task that failed on a container this run would first create or start (delegated tasks that still
 * read it): what the real run will do instead of the failure.
 */
function predictPending(task: TaskNode, host: string, env: TaskEnv, result: HostResult): HostResult {
  if (!(task.checkMode ?? env.options.check) || (result.status !== 'failed' && result.status !== 'unreachable')) return result;
  const pending = env.pendingContainer(host);
  if (!pending) return result;
  if (READ_ONLY_MODULES.has(task.module)) return skippedResult(`${pending.reason}: nothing to check yet (check mode)`);
  return changedResult(`${pending.reason}: cannot be planned inside it yet; the real run will run this task`);
}


async function runLoop(task: TaskNode, host: string, env: TaskEnv, nodeVars: Record<string, unknown>, facts: Record<string, unknown>): Promise<HostResult> {
  const scope = env.scope(host, nodeVars);
  const items = materialize(typeof task.loop === 'string' ? renderString(task.loop, scope, { pos: task.pos, what: 'loop' }) : renderValue(task.loop, scope, { pos: task.pos }));
  if (!Array.isArray(items)) {
    throw new PhoenixError('E_LOOP_TYPE', `Invalid data passed to 'loop', it requires a list, got this instead: ${JSON.stringify(items)}`, { pos: task.pos });
  }
  const results: NonNullable<HostResult['items']> = [];
  for (let index = 0; index < items.length; index++) {
    const item = items[index];
    const loopVars = { [task.loopVar]: item, ansible_loop_var: task.loopVar };
    const itemFacts: Record<string, unknown> = {};
    const result = await runConditional(task, host, env, nodeVars, loopVars, itemFacts);
    Object.assign(facts, itemFacts);
    const label = labelOf(task, env.scope(host, nodeVars, loopVars), item);
    const shown = task.noLog ? censor(result) : result;
    env.services.emit({ type: 'item_result', task: taskInfo(task), host, result: shown, label });
    results.push({ ...result, item, label });
  }
  return aggregate(results);
}

function labelOf(task: TaskNode, scope: Record<string, unknown>, item: unknown): string {
  if (task.loopLabel !== undefined) return String(renderString(task.loopLabel, scope, { pos: task.pos }));
  return typeof item === 'string' ? item : JSON.stringify(item);
}

/** Ansible's loop result: changed if any item changed, failed if any failed, skipped only if all were. */
function aggregate(items: NonNullable<HostResult['items']>): HostResult {
  const changed = items.some((i) => i.changed);
  const failed = items.some((i) => i.status === 'failed');
  const unreachable = items.some((i) => i.status === 'unreachable');
  const skipped = items.every((i) => i.status === 'skipped');
  const status = unreachable ? 'unreachable' : failed ? 'failed' : skipped ? 'skipped' : changed ? 'changed' : 'ok';
  const msg = failed ? 'One or more items failed' : skipped ? 'All items skipped' : items.length === 0 ? 'No items in the list' : undefined;
  const diff = items.flatMap((i) => i.diff ?? []);
  return { status, changed, msg, data: {}, items, diff: diff.length ? diff : undefined };
}

async function runConditional(
  task: TaskNode, host: string, env: TaskEnv, nodeVars: Record<string, unknown>, loop: Record<string, unknown> | undefined,
  facts: Record<string, unknown>,
): Promise<HostResult> {
  const scope = env.scope(host, nodeVars, loop);
  if (!conditionsHold(task.when, scope)) {
    return skippedResult('Conditional result was False', { false_condition: task.when.map((c) => c.text).join(' and '), skip_reason: 'Conditional result was False' });
  }
  return runWithRetries(task, host, env, nodeVars, loop, facts);
}

/** All conditions of a list must hold (Ansible ANDs `when` lists). */
export function conditionsHold(conditions: Condition[] | undefined, scope: Record<string, unknown>): boolean {
  if (!conditions) return true;
  const exprScope = scopeFromObject(scope);
  return conditions.every((c) => evaluateCondition(c.text, exprScope, c.pos));
}

async function runWithRetries(
  task: TaskNode, host: string, env: TaskEnv, nodeVars: Record<string, unknown>, loop: Record<string, unknown> | undefined,
  facts: Record<string, unknown>,
): Promise<HostResult> {
  const attempts = task.until ? Math.max(1, task.retries + 1) : 1;
  let result: HostResult = failedResult('not run');
  for (let attempt = 1; attempt <= attempts; attempt++) {
    result = await runOnce(task, host, env, env.scope(host, nodeVars, loop), facts);
    result = applyResultConditions(task, env, host, nodeVars, loop, result, facts);
    if (!task.until) return result;
    result.data.attempts = attempt;
    const registered = task.register ? { [task.register]: registeredValue(result) } : {};
    const untilScope = env.scope(host, { ...nodeVars, ...registered }, { ...loop, ...registered });
    if (result.status !== 'unreachable' && conditionsHold(task.until, untilScope)) return result;
    if (attempt < attempts) {
      env.services.emit({ type: 'retry', task: taskInfo(task), host, attempt, retries: task.retries });
      await sleep(task.delay * 1000, env.services.signal);
    }
  }
  return { ...result, status: 'failed', msg: result.msg ?? `Retried ${attempts - 1} times; until condition never held` };
}

/** changed_when / failed_when see the registered result under the register name, as in Ansible. */
function applyResultConditions(
  task: TaskNode, env: TaskEnv, host: string, nodeVars: Record<string, unknown>, loop: Record<string, unknown> | undefined,
  result: HostResult, facts: Record<string, unknown>,
): HostResult {
  if (!task.changedWhen && !task.failedWhen) return result;
  if (result.status === 'skipped' || result.status === 'unreachable') return result;
  const registered = task.register ? { [task.register]: registeredValue(result) } : {};
  const scope = env.scope(host, { ...nodeVars, ...facts, ...registered }, { ...loop, ...registered, ...flatResult(result) });
  let next = result;
  if (task.changedWhen) {
    const changed = conditionsHold(task.changedWhen, scope);
    next = { ...next, changed, status: next.status === 'failed' ? 'failed' : changed ? 'changed' : 'ok' };
  }
  if (task.failedWhen) {
    const failed = conditionsHold(task.failedWhen, scope);
    next = failed
      ? { ...next, status: 'failed', msg: next.msg ?? 'failed_when condition is true' }
      : { ...next, status: next.changed ? 'changed' : 'ok', msg: next.status === 'failed' ? undefined : next.msg };
  }
  return next;
}

/** Ansible lets changed_when/failed_when use the result's keys bare (`rc`, `stdout`) through the register; we add them too. */
function flatResult(result: HostResult): Record<string, unknown> {
  return { ...result.data };
}

async function runOnce(task: TaskNode, host: string, env: TaskEnv, scope: Record<string, unknown>, facts: Record<string, unknown>): Promise<HostResult> {
  const delegatedTo = task.delegateTo ? String(renderString(task.delegateTo, scope, { pos: task.pos })) : undefined;
  const result = await planAndApply(task, host, env, scope, facts, delegatedTo);
  return delegatedTo ? { ...result, delegatedTo } : result;
}

async function planAndApply(
  task: TaskNode, host: string, env: TaskEnv, scope: Record<string, unknown>, facts: Record<string, unknown>, delegatedTo: string | undefined,
): Promise<HostResult> {
  const module = findModule(task.module)!;
  const args = renderArgs(task, module, scope);
  const check = task.checkMode ?? env.options.check;
  const pending = check && !delegatedTo && !module.controllerOnly ? env.pendingContainer(host) : undefined;
  const result = pending
    ? await predictInPending({
      task, module, args, host, env, pending,
      planOn: (target) => planOnHost(task, module, args, { host, target, env, scope, facts: {}, check: true }),
      templateContext: (node) => templateContext(host, node, env, scope, task),
    })
    : await planOnHost(task, module, args, { host, target: delegatedTo ?? host, env, scope, facts, check });
  if (check) env.planned?.recordOutcome(host, outcomeKey(task.pos, args), result.status);
  return result;
}

interface HostRun {
  host: string;
  /** Where the task runs: the host, its delegate, or (check mode) a clone's parent. */
  target: string;
  env: TaskEnv;
  scope: Record<string, unknown>;
  facts: Record<string, unknown>;
  check: boolean;
}

async function planOnHost(task: TaskNode, module: Module, args: Record<string, unknown>, run: HostRun): Promise<HostResult> {
  const ctx = await taskContext(task, run.host, module.controllerOnly ? null : run.target, run.env, run.scope, run.check);
  const plan: Plan = await module.plan(ctx, args);
  return outcomeOf(task, module, args, ctx, plan, run.facts, ctx.diff, run.env.services);
}

/** A check-mode context whose connection is the container's node, for planning against an OS template there. */
function templateContext(host: string, node: string, env: TaskEnv, scope: Record<string, unknown>, task: TaskNode): Promise<ModuleContext> {
  return taskContext(task, host, node, env, scope, true);
}

/** The ModuleContext of a task on a host, connected to `target` (null: the module runs on the controller). */
async function taskContext(
  task: TaskNode, host: string, target: string | null, env: TaskEnv, scope: Record<string, unknown>, check: boolean,
): Promise<ModuleContext> {
  const conn = target === null ? null : await openConnection(target, task, env, scope);
  return moduleContext({
    host, conn, check, diff: task.diff ?? env.options.diff, scope, env: renderEnvironment(task, scope), services: env.services,
    searchDirs: [task.dir, env.playbookDir], noLog: Boolean(task.noLog), planned: env.planned, taskShared: env.shared,
  });
}

async function outcomeOf(
  task: TaskNode, module: Module, args: Record<string, unknown>, ctx: ModuleContext, plan: Plan, facts: Record<string, unknown>, diff: boolean,
  services: RunServices,
): Promise<HostResult> {
  const check = ctx.check;
  if (plan.skip !== undefined) return skippedResult(plan.skip, { ...plan.data });
  if (plan.fail !== undefined) return failedResult(plan.fail, { ...plan.data });
  Object.assign(facts, plan.facts);
  if (plan.changes.length === 0) return okResult(plan.reason, { ...plan.data, ...(plan.facts ? { ansible_facts: plan.facts } : {}) });
  const diffs = diff ? plan.changes.flatMap((c) => (c.diff ? [c.diff] : [])) : undefined;
  if (check) {
    if (plan.skipInCheck) return skippedResult(plan.skipInCheck, { ...plan.data });
    return changedResult(summaryOf(plan), { ...plan.data }, nonEmpty(diffs));
  }
  const applied = await applyNoted(module, ctx, args, plan, services);
  Object.assign(facts, applied.facts);
  const data = { ...plan.data, ...applied.data };
  if (applied.failed !== undefined) return failedResult(applied.failed, data, applied.changed ?? false);
  if (applied.changed === false) return okResult(plan.reason, data);
  return changedResult(summaryOf(plan), data, nonEmpty(diffs));
}

/** module.apply, with the run's answers-until-a-change dropped when it starts and when it ends. */
async function applyNoted(module: Module, ctx: ModuleContext, args: Record<string, unknown>, plan: Plan, services: RunServices): Promise<ApplyResult> {
  noteApply(services);
  try {
    return await module.apply(ctx, args, plan);
  } finally {
    noteApply(services);
  }
}

function summaryOf(plan: Plan): string {
  return plan.changes.map((c) => c.summary).join('; ');
}

function nonEmpty(diffs: FileDiff[] | undefined): FileDiff[] | undefined {
  return diffs && diffs.length > 0 ? diffs : undefined;
}

function renderArgs(task: TaskNode, module: Module, scope: Record<string, unknown>): Record<string, unknown> {
  const raw = new Set(module.rawArgs ?? []);
  const args: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(task.args)) {
    if (raw.has(key)) {
      args[key] = value;
      continue;
    }
    const rendered = materialize(renderValue(value, scope, { pos: task.pos, what: `argument '${key}'` }));
    // As in Ansible's argument spec, an argument whose value is null (e.g. an unset sha256 in the config) is unset.
    if (rendered !== null && rendered !== undefined) args[key] = rendered;
  }
  // The same schema as the load-time check of the literal values (playbook/load.ts), now with every value known.
  const problems = validateWithSchema(module.schema, args);
  if (problems.length > 0) throw new ModuleFailure(`${module.name}: ${problems.map((p) => p.message).join('; ')}`);
  return args;
}

async function openConnection(target: string, task: TaskNode, env: TaskEnv, scope: Record<string, unknown>): Promise<Connection> {
  const conn = await env.services.connect(target);
  const become = task.become ?? Boolean(scope.ansible_become);
  // Commands are shown at -vvv; never for no_log tasks, whose arguments may be secrets.
  const trace = env.options.verbosity >= 3 && !task.noLog
    ? (command: string, via = 'EXEC') => env.services.emit({ type: 'verbose', level: 3, host: target, message: `${via} ${command}` })
    : undefined;
  return connectionFor(conn, become, {}, trace, env.services.signal);
}

function renderEnvironment(task: TaskNode, scope: Record<string, unknown>): Record<string, string> {
  if (!task.environment) return {};
  const rendered = materialize(renderValue(task.environment, scope, { pos: task.pos })) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(rendered).map(([k, v]) => [k, String(v)]));
}

/**
 * Turns what a task threw into its result: transport trouble is unreachable, everything else a failure. A phoenix
 * error (an undefined variable at run time) says where, as load errors do: its own position, else the task's.
 */
function errorResult(error: unknown, taskPos: SourcePosition): HostResult {
  if (error instanceof UnreachableError) return unreachableResult(error.message);
  if (error instanceof ModuleFailure) return failedResult(error.message, error.data);
  if (error instanceof PhoenixError) {
    const pos = error.pos ?? taskPos;
    return failedResult(`[${error.code}] ${error.message}${error.hint ? ` (${error.hint})` : ''} --> ${pos.file}:${pos.line}:${pos.column}`);
  }
  if (error instanceof CommandTimeoutError) return failedResult(error.message);
  throw error;
}

function censor(result: HostResult): HostResult {
  return {
    status: result.status,
    changed: result.changed,
    ignored: result.ignored,
    censored: true,
    msg: result.status === 'failed' || result.status === 'unreachable' ? CENSORED : undefined,
    data: { censored: CENSORED },
    items: result.items?.map((i) => ({ ...censor(i), item: CENSORED, label: CENSORED })),
  };
}

export function taskInfo(task: TaskNode, kind: 'task' | 'handler' = 'task') {
  return { name: task.name, module: task.module, kind, file: task.pos.file, line: task.pos.line };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
