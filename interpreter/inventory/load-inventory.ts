import { readdirSync, statSync, type Stats } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { ErrorList, PhoenixError } from '../errors.js';
import { fnmatchToRegExp } from './fnmatch.js';
import { emptyInventory, reconcileInventory } from './graph.js';
import { parseInventoryFile } from './parse-inventory-file.js';
import { LOCALHOST_NAMES, type Inventory } from './types.js';
import { loadVarsLayer } from './vars-files.js';

export interface LoadInventoryOptions {
  /**
   * Playbook-adjacent directories whose `host_vars/` and `group_vars/` apply too (they win over the
   * inventory-adjacent ones, found beside each source automatically). Later directories win.
   */
  varsDirs?: string[];
  /**
   * Entry names to skip inside directory sources (fnmatch globs, like ansible's INVENTORY_IGNORE_PATTERNS), e.g. the
   * JSON configuration kept beside the inventory: `['phoenix_*.json']`. Explicit file sources are always read.
   */
  ignore?: string[];
}

/** Inventory files in a directory source: ansible skips these names wherever they are. */
const SKIPPED_NAMES = new Set(['host_vars', 'group_vars', 'vars_plugins']);
const INVENTORY_EXTENSIONS = new Set(['.yml', '.yaml', '.json']);

/**
 * Loads every inventory source (a file, or a directory of `*.yml`/`*.yaml`/`*.json` files read recursively in sorted
 * order) into one inventory, then the `host_vars/`/`group_vars/` beside each source and in `options.varsDirs`.
 * Problems are collected in `errors`; what could be read is still returned.
 */
export function loadInventory(sources: string[], options: LoadInventoryOptions, errors: ErrorList): Inventory {
  const absolute = sources.map((s) => resolve(s));
  const inv = emptyInventory(absolute);
  const found: Array<{ source: string; stats: Stats }> = [];
  for (const source of absolute) {
    const stats = statOrUndefined(source);
    if (!stats) {
      errors.add(new PhoenixError('E_INVENTORY_MISSING', `inventory source not found: ${source}`, { hint: 'check the -i path' }, 1));
      continue;
    }
    found.push({ source, stats });
    const ignore = (options.ignore ?? []).map(fnmatchToRegExp);
    for (const file of stats.isDirectory() ? inventoryFilesIn(source, ignore) : [source]) parseInventoryFile(inv, file, errors);
  }
  reconcileInventory(inv);
  const names = { hosts: [...inv.hosts.keys(), ...LOCALHOST_NAMES], groups: [...inv.groups.keys()] };
  const inventoryDirs = new Set<string>();
  for (const { source, stats } of found) {
    const dir = stats.isDirectory() ? source : dirname(source);
    inventoryDirs.add(dir);
    inv.varsLayers.push(loadVarsLayer(dir, 'inventory', names, errors));
  }
  for (const dir of options.varsDirs ?? []) {
    // A playbook beside its inventory reads the same group_vars/ as both layers (as Ansible does); report its
    // problems once.
    const seen = inventoryDirs.has(resolve(dir));
    inv.varsLayers.push(loadVarsLayer(resolve(dir), 'playbook', names, seen ? new ErrorList() : errors));
  }
  return inv;
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** ansible-core's directory source walk: sorted, recursive, skipping hidden entries and vars folders. */
function inventoryFilesIn(dir: string, ignore: RegExp[]): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    if (entry.startsWith('.') || SKIPPED_NAMES.has(entry) || ignore.some((re) => re.test(entry))) continue;
    const path = join(dir, entry);
    const stats = statOrUndefined(path);
    if (stats?.isDirectory()) files.push(...inventoryFilesIn(path, ignore));
    else if (stats?.isFile() && INVENTORY_EXTENSIONS.has(extname(entry))) files.push(path);
  }
  return files;
}
