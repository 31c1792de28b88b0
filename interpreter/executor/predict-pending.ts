/**
 * Check mode inside a container that this run creates (or starts) before the task: there is nothing to read in it
 * yet, so the task's outcome is predicted from where the container comes from.
 * - A clone starts as its parent's snapshot: a task the parent has done by the time the snapshot is taken (planned
 *   in this run, or already in place) is ok in the clone; one it has not is a change. A parent this run did not
 *   plan, but which exists, is asked instead (the task is planned against it).
 * - A container made from an OS template: modules that can read the template (apt, from its package database)
 *   plan against it; everything else is a change, since a stock template has none of what phoenix configures.
 * - Read-only modules have nothing to check yet and are skipped.
 */
import { changedResult, okResult, skippedResult, type HostResult } from '../result.js';
import { osTemplateView } from '../../modules/common/os-template.js';
import type { Module, ModuleContext } from '../../modules/types.js';
import type { TaskNode } from '../playbook/types.js';
import { outcomeKey } from './planned-state.js';
import type { PendingContainer, TaskEnv } from './task-runner.js';

/** Modules that never change anything: in check mode on a container not there yet they are skipped, not changed. */
export const READ_ONLY_MODULES = new Set(['verify', 'stat', 'debug', 'assert', 'wait_for']);

export interface PendingTask {
  task: TaskNode;
  module: Module;
  args: Record<string, unknown>;
  host: string;
  env: TaskEnv;
  pending: PendingContainer;
  /** Plans the task (check mode) against another inventory host: a clone's existing parent. */
  planOn(target: string): Promise<HostResult>;
  /** A check-mode context on the container's node, for {@link Module.planFromTemplate}. */
  templateContext(node: string): Promise<ModuleContext>;
}

export async function predictInPending(input: PendingTask): Promise<HostResult> {
  const { task, pending } = input;
  if (READ_ONLY_MODULES.has(task.module)) return skippedResult(`${pending.reason}: nothing to check yet (check mode)`);
  if (pending.cloneOf) return predictClone(input, pending.cloneOf);
  if (pending.template) return predictFromTemplate(input, pending.template);
  return changedResult(`${pending.reason}: cannot be planned inside it yet; the real run will run this task`);
}

async function predictClone(input: PendingTask, parent: NonNullable<PendingContainer['cloneOf']>): Promise<HostResult> {
  const { env, pending } = input;
  const source = `CT ${pending.vmid} starts as CT ${parent.vmid}'s snapshot${parent.snapname ? ` ${parent.snapname}` : ''}`;
  const snapshot = parent.snapname ? env.planned?.snapshot(parent.host, parent.snapname) : undefined;
  if (snapshot) {
    return snapshot.has(outcomeKey(input.task.pos, input.args))
      ? okResult(`${source}, which has this done (check mode prediction)`)
      : changedResult(`${source}, which does not have this done: the real run will run this task`);
  }
  if (env.pendingContainer(parent.host)) {
    return changedResult(`${source}; CT ${parent.vmid} is not there yet either: the real run will run this task`);
  }
  const onParent = await input.planOn(parent.host);
  if (onParent.status === 'ok') return okResult(`${source}: on CT ${parent.vmid}, ${onParent.reason ?? 'nothing to change'} (check mode prediction)`);
  if (onParent.status === 'changed') return changedResult(`${source}: CT ${parent.vmid} would need it too: ${onParent.reason ?? ''}`.trim());
  return onParent;
}

async function predictFromTemplate(input: PendingTask, template: NonNullable<PendingContainer['template']>): Promise<HostResult> {
  const { module, pending } = input;
  const stock = `${pending.reason}: it is created from ${template.ostemplate}, which has none of this; the real run will run this task`;
  if (!module.planFromTemplate) return changedResult(stock);
  const ctx = await input.templateContext(template.node);
  const plan = await module.planFromTemplate(ctx, input.args, osTemplateView(ctx.conn, template.ostemplate, ctx.planned));
  if (!plan) return changedResult(`${pending.reason}: ${template.ostemplate} cannot tell; the real run will run this task`);
  if (plan.changes.length === 0) return okResult(`${plan.reason ?? 'nothing to change'} (check mode prediction)`);
  return changedResult(`${pending.reason}: ${plan.changes.map((c) => c.summary).join('; ')} (predicted from ${template.ostemplate})`);
}
