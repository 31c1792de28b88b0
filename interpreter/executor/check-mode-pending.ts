/**
 * Check mode's bookkeeping of the containers a run would create or start: the tasks inside such a container cannot
 * be planned against it (they are predicted from the snapshot or OS template it comes from), and a snapshot taken
 * of it is recorded for its clones.
 */
import type { TaskNode } from '../playbook/types.js';
import type { HostResult } from '../result.js';
import type { InventoryView } from './options.js';
import type { PlannedState } from './planned-state.js';
import type { PendingContainer } from './task-runner.js';

/**
 * Check mode: a pct task that would create or start this host's container makes the tasks inside it unplannable
 * (they are predicted from where it comes from); a snapshot of it records what its clones will start with.
 */
export function notePending(task: TaskNode, host: string, result: HostResult, inventory: InventoryView,
  planned: PlannedState | undefined, state: { pending?: PendingContainer }): void {
  if (task.module !== 'pct') return;
  const vars = inventory.vars(host);
  if (vars.ansible_connection !== 'pct' || result.data.vmid !== vars.proxmox_vmid) return;
  const snapshot = result.data.snapshot as { name: string; taken_now: boolean } | undefined;
  if (snapshot && (result.status === 'ok' || result.status === 'changed')) planned?.recordSnapshot(host, snapshot.name, snapshot.taken_now);
  if (result.status !== 'changed') return;
  const vmid = Number(vars.proxmox_vmid);
  if (result.data.exists === false) state.pending = createdPending(host, vmid, vars, result.data.created_from, inventory);
  // A container this run only stops and starts again (a node's rolling upgrade) runs now: plan inside it as usual.
  else if (result.data.running === false && result.data.stopped_in_run !== true) state.pending ??= { reason: `CT ${vmid} is not running yet`, vmid };
}

/** What a container created in this run starts as: a clone of an inventory host's snapshot, or an OS template. */
function createdPending(host: string, vmid: number, vars: Record<string, unknown>, from: unknown, inventory: InventoryView): PendingContainer {
  const pending: PendingContainer = { reason: `CT ${vmid} does not exist yet`, vmid };
  const created = (from ?? {}) as { cloneOf?: number; snapname?: string; ostemplate?: string; node?: string };
  const node = String(vars.proxmox_node ?? '');
  if (created.ostemplate !== undefined && node) pending.template = { node, ostemplate: created.ostemplate };
  if (created.cloneOf !== undefined) {
    // created.node: the parent's node when the clone was made there for this one (pct clone --target).
    const parent = inventory.select('all').find((h) => h !== host && sameContainer(inventory.vars(h), created.node ?? node, created.cloneOf!));
    if (parent) pending.cloneOf = { host: parent, vmid: created.cloneOf, ...(created.snapname ? { snapname: created.snapname } : {}) };
  }
  return pending;
}

/** The inventory host of container `vmid` on `node`. */
function sameContainer(vars: Record<string, unknown>, node: string, vmid: number): boolean {
  return vars.ansible_connection === 'pct' && Number(vars.proxmox_vmid) === vmid && String(vars.proxmox_node ?? '') === node;
}
