import type { InventoryView } from '../executor/options.js';

/**
 * `--limit pve2` on a Proxmox node also selects the containers it holds (hosts reached with `pct` through it):
 * limiting a run to a node means working on that node, and its containers cannot be reached any other way.
 * `notice` hears each node and the containers added for it.
 */
export function withNodeContainers(limit: Set<string>, inventory: InventoryView,
  notice: (node: string, containers: string[]) => void = () => undefined): Set<string> {
  const added = new Map<string, string[]>();
  const expanded = new Set(limit);
  for (const host of inventory.select('all')) {
    if (limit.has(host)) continue;
    const vars = inventory.vars(host);
    const node = vars.proxmox_node;
    if (vars.ansible_connection !== 'pct' || typeof node !== 'string' || !limit.has(node)) continue;
    expanded.add(host);
    added.set(node, [...(added.get(node) ?? []), host]);
  }
  for (const [node, containers] of added) notice(node, containers);
  return expanded;
}
