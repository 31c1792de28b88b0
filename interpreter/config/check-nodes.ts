import { ErrorListError, PhoenixError } from '../errors.js';
import { groupHosts } from '../inventory/graph.js';
import type { Inventory } from '../inventory/types.js';
import { configError } from './config-error.js';
import { cloneDriverError, nodeDriverErrors } from './node-drivers.js';
import { DEFAULT_STORAGE_POOL, type PhoenixConfig } from './types.js';

const LXC = 'lxc_configs';

/**
 * The Proxmox node of every container (issue 14): its own `node` key when it has one, which must be a host of group
 * `proxmox` (E_CONFIG_NODE at that key), else `fallback()` (phoenix_node or the only proxmox host). A clone must be
 * on its parent's node (E_CONFIG_CLONE_NODE): VMIDs are cluster-wide, so a template exists on one node only; unless
 * the parent's rootfs storage is listed in `shared_storage`, where `pct clone --target` makes it on the clone's node.
 * Every problem is collected; one is thrown as itself, several as an ErrorListError.
 */
export function placeContainers(config: PhoenixConfig, inventory: Inventory, fallback: () => string): Map<number, string> {
  const l = config.sources.lxc;
  const known = groupHosts(inventory, 'proxmox');
  const errors: PhoenixError[] = [];
  const placed = new Map<number, string>();
  const unplaced: number[] = [];
  for (const { ctid, config: lxc } of config.containers.values()) {
    const node = lxc.node;
    if (typeof node !== 'string') {
      unplaced.push(ctid);
      continue;
    }
    placed.set(ctid, node);
    if (known.includes(node)) continue;
    errors.push(configError('E_CONFIG_NODE', l, [LXC, String(ctid), 'node'], `container ${ctid}'s node '${node}' is not a host of inventory group proxmox`, {
      atKey: true,
      hint: known.length ? `known nodes: ${known.join(', ')}` : 'add the node to the inventory\'s group proxmox',
    }));
  }
  if (unplaced.length) {
    try {
      const node = fallback();
      for (const ctid of unplaced) placed.set(ctid, node);
    } catch (error) {
      if (!(error instanceof PhoenixError) || placed.size === 0) throw error;
      // Some containers name their node: the error belongs at the first one that does not.
      const first = config.containers.get(unplaced[0])!;
      error.message += ` (container ${first.ctid} at ${first.pos.file}:${first.pos.line}:${first.pos.column} has no "node")`;
      error.pos = first.pos;
      error.hint = `give container ${first.ctid} "node": "<node>" in ${config.lxcFile}, or set phoenix_node in the inventory's all vars`;
      errors.push(error);
    }
  }
  errors.push(...cloneNodeErrors(config, placed), ...nodeDriverErrors(config, placed, known));
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new ErrorListError(errors);
  return placed;
}

function cloneNodeErrors(config: PhoenixConfig, placed: Map<number, string>): PhoenixError[] {
  const l = config.sources.lxc;
  const out: PhoenixError[] = [];
  for (const { ctid, parent, config: lxc } of config.containers.values()) {
    if (parent === undefined) continue;
    const node = placed.get(ctid);
    const parentNode = placed.get(parent);
    if (node === undefined || parentNode === undefined || node === parentNode) continue;
    const storage = rootfsStorage(config, parent);
    if (config.sharedStorage.includes(storage)) {
      const driver = cloneDriverError(config, ctid, node, parent, parentNode);
      if (driver) out.push(driver);
      continue;
    }
    const path = typeof lxc.node === 'string' ? [LXC, String(ctid), 'node'] : [LXC, String(ctid)];
    out.push(configError('E_CONFIG_CLONE_NODE', l, path,
      `container ${ctid} on node ${node} clones ${parent}, which is on node ${parentNode} with its rootfs on storage '${storage}', not listed in shared_storage: a clone of a container on local storage must be on its parent's node`, {
        atKey: true,
        hint: `put container ${ctid} on node ${parentNode}, or give node ${node} its own template chain (Proxmox VMIDs are cluster-wide, so template ${parent} cannot exist on both), `
          + `or, if every node sees storage '${storage}' (storage.cfg: shared 1), list it in "shared_storage" of ${config.hypervisorFile} (pct clone --target)`,
      }));
  }
  return out;
}

/**
 * The Proxmox storage holding container `ctid`'s rootfs: its chain root's `storage_pool` (a clone without `--storage`
 * stays on its source's storage, and site.yml clones without it), default {@link DEFAULT_STORAGE_POOL}.
 */
export function rootfsStorage(config: PhoenixConfig, ctid: number): string {
  let c = config.containers.get(ctid);
  for (let depth = 0; c?.parent !== undefined && depth < 64; depth++) c = config.containers.get(c.parent);
  const pool = c?.config.storage_pool;
  return typeof pool === 'string' ? pool : DEFAULT_STORAGE_POOL;
}
