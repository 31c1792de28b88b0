import { dirname } from 'node:path';
import { PhoenixError } from '../errors.js';
import { groupHosts, hostGroups } from './graph.js';
import { LOCALHOST_NAMES, type Inventory, type InventoryGroup, type InventoryHost, type VarsLayer } from './types.js';

/**
 * The inventory host, or the implicit local host ansible-core creates when a pattern names `localhost` (or
 * 127.0.0.1, ::1) that the inventory lacks: it is in no group and connects locally. As in ansible-core there is one
 * local host: the first localhost-like inventory host, else the first implicit one made.
 * Returns undefined for any other unknown name.
 */
export function findHost(inv: Inventory, name: string): InventoryHost | undefined {
  const host = inv.hosts.get(name);
  if (host || !LOCALHOST_NAMES.includes(name)) return host;
  const existing = [...inv.hosts.values()].find((h) => LOCALHOST_NAMES.includes(h.name)) ?? inv.implicitHosts.values().next().value;
  if (existing) return existing;
  const implicit: InventoryHost = { name, vars: { ansible_connection: 'local' }, varPositions: {}, groups: [], implicit: true };
  inv.implicitHosts.set(name, implicit);
  return implicit;
}

function requireHost(inv: Inventory, name: string): InventoryHost {
  const host = findHost(inv, name);
  if (!host) throw new PhoenixError('E_INVENTORY_HOST', `no host '${name}' in the inventory`, {}, 1);
  return host;
}

/** ansible-core's sort_groups: by depth, then ansible_group_priority, then name; later entries win. */
export function sortGroups(groups: InventoryGroup[]): InventoryGroup[] {
  return [...groups].sort((a, b) => a.depth - b.depth || a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * A host's inventory-level variables, merged as ansible-core 2.14 does (later wins, top-level keys replace):
 * `all`'s inline vars < other groups' inline vars (by depth, priority, name) < group_vars/all (inventory-adjacent,
 * then playbook-adjacent) < group_vars of the host's other groups (inventory-adjacent, then playbook-adjacent; in
 * each directory by depth, priority, name) < the host's inline vars < host_vars (inventory-adjacent, then playbook).
 */
export function hostVars(inv: Inventory, name: string): Record<string, unknown> {
  const host = requireHost(inv, name);
  const all = inv.groups.get('all') as InventoryGroup;
  const groups = host.implicit ? [] : sortGroups([...hostGroups(inv, host.name)].filter((g) => g !== 'all').map((g) => inv.groups.get(g) as InventoryGroup));
  const layers = [...inv.varsLayers.filter((l) => l.origin === 'inventory'), ...inv.varsLayers.filter((l) => l.origin === 'playbook')];
  const fromLayers = (pick: (layer: VarsLayer) => Record<string, unknown> | undefined): Record<string, unknown> =>
    Object.assign({}, ...layers.map(pick));
  return {
    ...all.vars,
    ...Object.assign({}, ...groups.map((g) => g.vars)),
    ...fromLayers((l) => l.groupVars.get('all')?.vars),
    ...fromLayers((l) => Object.assign({}, ...groups.map((g) => l.groupVars.get(g.name)?.vars))),
    ...host.vars,
    ...fromLayers((l) => l.hostVars.get(host.name)?.vars),
  };
}

/**
 * Ansible's magic variables that come from the inventory: `inventory_hostname`, `inventory_hostname_short`,
 * `group_names` (sorted, without `all`; with `ungrouped` for a host in no other group, as ansible-core),
 * `groups` (every group to its hosts, including `all` and `ungrouped`), `inventory_file` and `inventory_dir`.
 */
export function magicVars(inv: Inventory, name: string): Record<string, unknown> {
  const host = requireHost(inv, name);
  const hostname = host.name;
  const isAddress = /^\d+\.\d+\.\d+\.\d+$/.test(hostname) || hostname.includes(':');
  const groups: Record<string, string[]> = {};
  for (const g of inv.groups.keys()) groups[g] = groupHosts(inv, g);
  const magic: Record<string, unknown> = {
    inventory_hostname: hostname,
    inventory_hostname_short: isAddress ? hostname : hostname.split('.')[0],
    group_names: host.implicit ? [] : [...hostGroups(inv, hostname)].filter((g) => g !== 'all').sort(),
    groups,
  };
  if (host.source) {
    magic.inventory_file = host.source;
    magic.inventory_dir = dirname(host.source);
  }
  return magic;
}
