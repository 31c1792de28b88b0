/**
 * Check mode for `pct`: the container as earlier tasks of this run planned it (created, cloned, started,
 * snapshotted), so a later task on the same container plans against that instead of the unchanged node.
 */
import { containerKey } from '../../interpreter/executor/planned-state.js';
import type { ModuleContext } from '../types.js';
import type { PctArgs } from '../pct.js';
import { probeContainer, type ContainerFacts } from './probe.js';
import { readWhileUnchanged } from '../common/shared.js';

/** A container as check mode expects it after the tasks planned so far. */
export interface PlannedContainer extends ContainerFacts {
  /**
   * Set when this run creates it: cloned from a container's snapshot (`node`: the source's node, when it is another
   * one: `pct clone --target`), or made from an OS template.
   */
  createdFrom?: { cloneOf: number; snapname?: string; node?: string } | { ostemplate: string };
  /**
   * Running now, stopped by an earlier task of this run (a stop, a node reboot): it still runs while check mode
   * plans, so tasks inside it can be planned against it once a later task starts it again.
   */
  stoppedInRun?: boolean;
}

/** The container's facts: planned by an earlier task of this check run, else read from the node. */
export async function containerFacts(ctx: ModuleContext, vmid: number): Promise<PlannedContainer> {
  return ctx.planned?.get<PlannedContainer>('container', containerKey(ctx.conn.host, vmid)) ?? sharedContainerFacts(ctx, vmid);
}

/**
 * The node's answer about the container, read once for the tasks of a run until something is applied
 * (ModuleContext.whileUnchanged): a no-op run's create/clone, passthrough and start tasks of one container ask the
 * node one question between them.
 */
export function sharedContainerFacts(ctx: ModuleContext, vmid: number): Promise<ContainerFacts> {
  return readWhileUnchanged(ctx, `pct ${vmid}`, () => probeContainer(ctx.conn, vmid));
}

/** The planned container of `vmid` on the context's node, when an earlier task of this check run planned one. */
export function plannedContainer(ctx: ModuleContext, node: string, vmid: number | string): PlannedContainer | undefined {
  return ctx.planned?.get<PlannedContainer>('container', containerKey(node, vmid));
}

/** What the container is after the plan's steps (check mode keeps it for the tasks after this one). */
export function factsAfter(args: PctArgs, facts: PlannedContainer): PlannedContainer {
  const state = args.state ?? 'present';
  if (state === 'absent') return { exists: false, running: false, config: {}, snapshots: [], template: false };
  const created = !facts.exists;
  const options = Object.fromEntries(Object.entries(args.options ?? {}).map(([k, v]) => [k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v)]));
  const running = state === 'started' || state === 'restarted' ? true : state === 'stopped' || state === 'template' ? false : facts.exists && facts.running;
  const after: PlannedContainer = {
    exists: true,
    running,
    config: { ...facts.config, ...options },
    snapshots: args.snapshot && !facts.snapshots.includes(args.snapshot) ? [...facts.snapshots, args.snapshot] : facts.snapshots,
    template: state === 'template' || facts.template,
  };
  if (!running && (facts.running || facts.stoppedInRun)) after.stoppedInRun = true;
  const createdFrom = created ? createdBy(args) : facts.createdFrom;
  return createdFrom ? { ...after, createdFrom } : after;
}

function createdBy(args: PctArgs): PlannedContainer['createdFrom'] {
  if (args.clone_from !== undefined) return { cloneOf: args.clone_from, ...(args.snapname ? { snapname: args.snapname } : {}) };
  return args.ostemplate ? { ostemplate: args.ostemplate } : undefined;
}

/** Records the container as this task leaves it (only in a check run; a check_mode: false task of one records what it did). */
export function rememberPlanned(ctx: ModuleContext, vmid: number, facts: PlannedContainer): void {
  ctx.planned?.set('container', containerKey(ctx.conn.host, vmid), facts);
}
