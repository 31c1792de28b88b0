import { isScalar } from 'yaml';
import { ErrorList, PhoenixError } from '../errors.js';
import { ensureGroup, ensureHost, linkChild } from './graph.js';
import { validateInventoryShape } from './schema.js';
import { expandHostKey, type HostKey } from './host-range.js';
import type { Inventory } from './types.js';
import { keyText, mapPairs, nodePos, readYamlSource, resolveNode, toPlain, varsOf, type YamlSource } from './yaml-source.js';

/** Group names Ansible accepts without warning (its INVALID_VARIABLE_NAMES rule): a Python identifier. */
const GROUP_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Everything a walk needs to record what it finds. */
interface Walk {
  inv: Inventory;
  src: YamlSource;
  errors: ErrorList;
}

/**
 * Adds one YAML/JSON inventory file to `inv`: validates its shape (inventorySchema), then walks it in document
 * order (Ansible's order: host order is the order of first appearance) checking names and cycles.
 */
export function parseInventoryFile(inv: Inventory, file: string, errors: ErrorList): void {
  const src = readYamlSource(file, 'E_INVENTORY_YAML', errors);
  if (!src || src.doc.contents === null) return;
  validateInventoryShape(src, toPlain(src), errors);
  const walk: Walk = { inv, src, errors };
  for (const pair of mapPairs(src, src.doc.contents)) {
    const name = keyText(pair);
    const stringKey = isScalar(pair.key) && typeof pair.key.value === 'string';
    if (validGroupName(walk, name, stringKey, pair.key)) parseGroup(walk, name, pair.value, pair.key);
  }
}

/** Reports an invalid group name where it is written; true when the name is fine. */
function validGroupName(walk: Walk, name: string, stringKey: boolean, keyNode: unknown): boolean {
  if (stringKey && GROUP_NAME.test(name)) return true;
  walk.errors.add(
    new PhoenixError('E_INVENTORY_NAME', `invalid group name '${name}'`, {
      pos: nodePos(walk.src, keyNode),
      hint: 'group names are letters, digits and underscores, not starting with a digit (Ansible warns about others)',
    }),
  );
  return false;
}

function parseGroup(walk: Walk, name: string, node: unknown, keyNode: unknown): void {
  ensureGroup(walk.inv, name, nodePos(walk.src, keyNode));
  for (const section of mapPairs(walk.src, node)) {
    const key = keyText(section);
    if (key === 'vars') parseGroupVars(walk, name, section.value);
    else if (key === 'hosts') parseHosts(walk, name, section.value);
    else if (key === 'children') parseChildren(walk, name, section.value);
  }
}

/** Pairs of a section; a plain string stands for a single name, as Ansible allows. */
function sectionEntries(walk: Walk, node: unknown): Array<{ name: string; keyNode: unknown; value: unknown; stringKey: boolean }> {
  const resolved = resolveNode(walk.src, node);
  if (isScalar(resolved) && typeof resolved.value === 'string') {
    return [{ name: resolved.value, keyNode: resolved, value: null, stringKey: true }];
  }
  return mapPairs(walk.src, resolved).map((p) => ({
    name: keyText(p),
    keyNode: p.key,
    value: p.value,
    stringKey: isScalar(p.key) && typeof p.key.value === 'string',
  }));
}

function parseChildren(walk: Walk, parent: string, node: unknown): void {
  for (const entry of sectionEntries(walk, node)) {
    if (!validGroupName(walk, entry.name, entry.stringKey, entry.keyNode)) continue;
    const pos = nodePos(walk.src, entry.keyNode);
    parseGroup(walk, entry.name, entry.value, entry.keyNode);
    if (!linkChild(walk.inv, parent, entry.name)) {
      walk.errors.add(
        new PhoenixError('E_INVENTORY_CYCLE', `group '${entry.name}' under '${parent}' would make '${entry.name}' its own ancestor`, {
          pos,
          hint: 'a group cannot contain itself, directly or through its children',
        }),
      );
    }
  }
}

function parseHosts(walk: Walk, group: string, node: unknown): void {
  for (const entry of sectionEntries(walk, node)) {
    const pos = nodePos(walk.src, entry.keyNode);
    const key = hostKey(entry.name, entry.stringKey);
    if (key instanceof Error) {
      walk.errors.add(new PhoenixError('E_INVENTORY_NAME', key.message, { pos, hint: hostNameHint(entry.stringKey) }));
      continue;
    }
    for (const name of key.names) {
      const isNew = !walk.inv.hosts.has(name);
      const host = ensureHost(walk.inv, name, group, pos, walk.src.file);
      // As ansible-core: a `name:port` key sets ansible_port when it creates the host; written vars still win.
      if (isNew && key.port !== undefined) {
        host.vars.ansible_port = key.port;
        host.varPositions.ansible_port = pos;
      }
      const { vars, positions } = varsOf(walk.src, entry.value);
      Object.assign(host.vars, vars);
      Object.assign(host.varPositions, positions);
    }
  }
}

/** A host key expanded (`web[01:03]`, `pve1:2222`), or the Error saying why it is not a host name. */
function hostKey(name: string, stringKey: boolean): HostKey | Error {
  if (!stringKey) return new Error(`invalid host name '${name}'`);
  try {
    return expandHostKey(name);
  } catch (e) {
    return new Error(`${(e as Error).message} (host '${name}')`);
  }
}

function hostNameHint(stringKey: boolean): string {
  if (!stringKey) return 'quote host names that YAML reads as numbers or booleans';
  return 'a host is a DNS name or IP address, optionally with ranges (web[01:09]) and :port';
}

function parseGroupVars(walk: Walk, group: string, node: unknown): void {
  const g = ensureGroup(walk.inv, group);
  const { vars, positions } = varsOf(walk.src, node);
  for (const [key, value] of Object.entries(vars)) {
    if (key !== 'ansible_group_priority') {
      g.vars[key] = value;
      g.varPositions[key] = positions[key];
      continue;
    }
    const priority = Number(value);
    if (Number.isInteger(priority)) g.priority = priority;
    else walk.errors.add(new PhoenixError('E_INVENTORY_SCHEMA', `ansible_group_priority of group '${group}' must be an integer`, { pos: positions[key] }));
  }
}
