import type { ErrorList } from '../errors.js';
import { loadInventory } from '../inventory/load-inventory.js';
import { hostVars, magicVars } from '../inventory/host-vars.js';
import { selectHosts } from '../inventory/patterns.js';
import type { Inventory } from '../inventory/types.js';
import { applyPhoenixConfig, type AppliedPhoenixConfig, type ApplyPhoenixConfigOptions } from '../config/index.js';
import type { InventoryView } from '../executor/options.js';

/** The executor's view of a loaded inventory; variables are computed once per host and kept for the run. */
export interface LoadedInventoryView extends InventoryView {
  inventory: Inventory;
  /** The JSON configuration the inventory points at (phoenix_config), when there is one. */
  config?: AppliedPhoenixConfig;
  /** Hosts of a --limit pattern (bad patterns are usage errors, exit 1). */
  selectLimit(pattern: string): string[];
}

/**
 * Loads the inventory and, when it points at the users' JSON configuration, validates that and adds the
 * containers as hosts: every problem of both is collected in `errors` before any connection. Feature task files are
 * not looked at here: `phoenix run` checks them when a play includes features.
 */
export function openInventory(sources: string[], varsDirs: string[], errors: ErrorList, options: Pick<ApplyPhoenixConfigOptions, 'extraFeaturesDir'> = {}): LoadedInventoryView {
  const inventory = loadInventory(sources, { varsDirs, ignore: ['phoenix_*.json'] }, errors);
  const config = errors.empty ? applyPhoenixConfig(inventory, errors, options) : undefined;
  return viewOf(inventory, config);
}

export function viewOf(inventory: Inventory, config?: AppliedPhoenixConfig): LoadedInventoryView {
  const varsCache = new Map<string, Record<string, unknown>>();
  const magicCache = new Map<string, Record<string, unknown>>();
  return {
    inventory,
    config,
    select: (pattern) => selectHosts(inventory, pattern, { exitCode: 4 }),
    selectLimit: (pattern) => selectHosts(inventory, pattern, { exitCode: 1 }),
    vars(host) {
      let vars = varsCache.get(host);
      if (!vars) {
        vars = hostVars(inventory, host);
        varsCache.set(host, vars);
      }
      return vars;
    },
    magic(host) {
      let vars = magicCache.get(host);
      if (!vars) {
        vars = magicVars(inventory, host);
        magicCache.set(host, vars);
      }
      return vars;
    },
  };
}
