import { PhoenixError } from '../errors.js';
import { groupHosts } from './graph.js';
import { hostVars } from './host-vars.js';
import { selectHosts } from './patterns.js';
import type { Inventory } from './types.js';

/** Variables ansible-inventory leaves out of its output (its INTERNAL_VARS that can come from an inventory). */
const INTERNAL_VARS = new Set(['inventory_dir', 'inventory_file', 'inventory_hostname', 'inventory_hostname_short', 'groups', 'group_names', 'omit', 'ansible_facts']);

function publicVars(vars: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(vars).filter(([k]) => !INTERNAL_VARS.has(k)));
}

/** Python's `json.dumps(value, sort_keys=True, indent=4, ensure_ascii=False)`, which ansible-inventory prints. */
export function pythonJson(value: unknown, indent = ''): string {
  const inner = indent + '    ';
  if (Array.isArray(value)) {
    if (!value.length) return '[]';
    return `[\n${value.map((v) => inner + pythonJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    if (!keys.length) return '{}';
    const rec = value as Record<string, unknown>;
    return `{\n${keys.map((k) => `${inner}${JSON.stringify(k)}: ${pythonJson(rec[k], inner)}`).join(',\n')}\n${indent}}`;
  }
  return value === undefined ? 'null' : JSON.stringify(value);
}

/**
 * `phoenix inventory --list`: ansible-inventory's JSON. Every group with hosts or children (`all` lists only its
 * children), and `_meta.hostvars` with each host's non-empty variables.
 */
export function renderInventoryList(inv: Inventory): string {
  const result: Record<string, unknown> = {};
  for (const group of inv.groups.values()) {
    const entry: Record<string, string[]> = {};
    if (group.children.length) entry.children = [...group.children];
    if (group.name !== 'all' && group.hosts.length) entry.hosts = [...group.hosts];
    if (Object.keys(entry).length) result[group.name] = entry;
  }
  const hostvars: Record<string, unknown> = {};
  for (const host of groupHosts(inv, 'all')) {
    const vars = publicVars(hostVars(inv, host));
    if (Object.keys(vars).length) hostvars[host] = vars;
  }
  result._meta = { hostvars };
  return pythonJson(result);
}

/**
 * `phoenix inventory --graph [GROUP]`: ansible-inventory's tree (`@all:`, `  |--@group:`, `  |  |--host`),
 * child groups before a group's own hosts. An unknown group throws `E_INVENTORY_GROUP` (exit 5, like ansible).
 */
export function renderInventoryGraph(inv: Inventory, group = 'all'): string {
  if (!inv.groups.has(group)) {
    throw new PhoenixError('E_INVENTORY_GROUP', `--graph needs a group name; '${group}' is not a group`, {}, 5);
  }
  return graphLines(inv, group, 0).join('\n');
}

function graphLine(name: string, depth: number): string {
  return depth ? `${'  |'.repeat(depth)}--${name}` : name;
}

function graphLines(inv: Inventory, name: string, depth: number): string[] {
  const group = inv.groups.get(name);
  if (!group) return [];
  const lines = [graphLine(`@${name}:`, depth)];
  for (const kid of group.children) lines.push(...graphLines(inv, kid, depth + 1));
  if (name !== 'all') for (const host of group.hosts) lines.push(graphLine(host, depth + 1));
  return lines;
}

/** `phoenix inventory --host NAME`: the host's variables as ansible-inventory prints them; exactly one host must match. */
export function renderInventoryHost(inv: Inventory, name: string): string {
  const hosts = selectHosts(inv, name, { exitCode: 5 });
  if (hosts.length !== 1) {
    throw new PhoenixError('E_INVENTORY_HOST', `--host needs a pattern matching exactly one host; '${name}' matches ${hosts.length}`, {}, 5);
  }
  return pythonJson(publicVars(hostVars(inv, hosts[0])));
}
