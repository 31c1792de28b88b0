import type { SourcePosition } from '../errors.js';
import type { Inventory, InventoryGroup, InventoryHost } from './types.js';

/** An empty inventory holding only the implicit groups, `ungrouped` already a child of `all` (as in ansible-core). */
export function emptyInventory(sources: string[] = []): Inventory {
  const inv: Inventory = { hosts: new Map(), groups: new Map(), sources, varsLayers: [], implicitHosts: new Map() };
  ensureGroup(inv, 'all');
  ensureGroup(inv, 'ungrouped');
  linkChild(inv, 'all', 'ungrouped');
  return inv;
}

/** Returns the group, creating it when new; its position is the first one known (`all` has none until written). */
export function ensureGroup(inv: Inventory, name: string, pos?: SourcePosition): InventoryGroup {
  let group = inv.groups.get(name);
  if (!group) {
    group = { name, hosts: [], children: [], parents: [], vars: {}, varPositions: {}, priority: 1, depth: 0, pos };
    inv.groups.set(name, group);
  }
  group.pos ??= pos;
  return group;
}

/** Returns the host, creating it when new; adds it to `group` when given. */
export function ensureHost(inv: Inventory, name: string, group: string | undefined, pos?: SourcePosition, source?: string): InventoryHost {
  let host = inv.hosts.get(name);
  if (!host) {
    host = { name, vars: {}, varPositions: {}, groups: [], pos, source };
    inv.hosts.set(name, host);
  }
  if (group !== undefined) {
    const g = ensureGroup(inv, group);
    if (!g.hosts.includes(name)) g.hosts.push(name);
    if (!host.groups.includes(group)) host.groups.push(group);
  }
  return host;
}

/** All ancestors of a group (not itself). */
export function groupAncestors(inv: Inventory, name: string): Set<string> {
  const seen = new Set<string>();
  const stack = [...(inv.groups.get(name)?.parents ?? [])];
  while (stack.length) {
    const g = stack.pop() as string;
    if (seen.has(g)) continue;
    seen.add(g);
    stack.push(...(inv.groups.get(g)?.parents ?? []));
  }
  return seen;
}

/**
 * Makes `child` a child group of `parent`. Returns false (and links nothing) when that would make a group its own
 * ancestor; the caller reports the cycle where it was written.
 */
export function linkChild(inv: Inventory, parent: string, child: string): boolean {
  if (parent === child || child === 'all' || groupAncestors(inv, parent).has(child)) return false;
  const p = ensureGroup(inv, parent);
  const c = ensureGroup(inv, child);
  if (!p.children.includes(child)) p.children.push(child);
  if (!c.parents.includes(parent)) c.parents.push(parent);
  return true;
}

/** Every group a host belongs to, directly or through ancestors (including `all`). */
export function hostGroups(inv: Inventory, host: string): Set<string> {
  const result = new Set<string>();
  for (const g of inv.hosts.get(host)?.groups ?? []) {
    result.add(g);
    for (const a of groupAncestors(inv, g)) result.add(a);
  }
  return result;
}

/**
 * ansible-core's reconcile_inventory: parentless groups become children of `all`; hosts in no group but `all` go to
 * `ungrouped`, hosts listed in `ungrouped` and elsewhere leave it. Then depths are computed.
 */
export function reconcileInventory(inv: Inventory): void {
  for (const group of inv.groups.values()) {
    if (group.name !== 'all' && group.parents.length === 0) linkChild(inv, 'all', group.name);
  }
  const ungrouped = ensureGroup(inv, 'ungrouped');
  for (const host of inv.hosts.values()) {
    const groups = hostGroups(inv, host.name);
    const others = [...groups].filter((g) => g !== 'all' && g !== 'ungrouped');
    if (groups.has('ungrouped') && others.length) {
      ungrouped.hosts = ungrouped.hosts.filter((h) => h !== host.name);
      host.groups = host.groups.filter((g) => g !== 'ungrouped');
    } else if (!groups.has('ungrouped') && others.length === 0) {
      ensureHost(inv, host.name, 'ungrouped');
    }
  }
  computeDepths(inv);
}

/** Depth = longest path from `all`, as ansible-core's add_child_group maintains it. */
function computeDepths(inv: Inventory): void {
  const memo = new Map<string, number>();
  const depth = (name: string): number => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    const parents = inv.groups.get(name)?.parents ?? [];
    const d = parents.length ? Math.max(...parents.map((p) => depth(p) + 1)) : 0;
    memo.set(name, d);
    return d;
  };
  for (const group of inv.groups.values()) group.depth = depth(group.name);
}

/**
 * The hosts of a group and its descendants in ansible-core's order: the group's own hosts, then its children's, then
 * grandchildren's, level by level (ansible walks each level as a Python set, so where two groups of one level both
 * have children its order is arbitrary; here it is the order the children were written).
 */
export function groupHosts(inv: Inventory, name: string): string[] {
  const group = inv.groups.get(name);
  if (!group) return [];
  const ordered = [name, ...group.children];
  const seen = new Set(ordered);
  let level = [name, ...group.children];
  while (level.length) {
    const next: string[] = [];
    for (const g of level) {
      for (const kid of inv.groups.get(g)?.children ?? []) {
        if (seen.has(kid)) continue;
        seen.add(kid);
        ordered.push(kid);
        next.push(kid);
      }
    }
    level = next;
  }
  const hosts = new Set<string>();
  for (const g of ordered) for (const h of inv.groups.get(g)?.hosts ?? []) hosts.add(h);
  return [...hosts];
}
