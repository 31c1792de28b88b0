import { fileURLToPath } from 'node:url';
import { ErrorList, ErrorListError, PhoenixError } from '../../../interpreter/errors.js';
import { emptyInventory, ensureHost, reconcileInventory } from '../../../interpreter/inventory/graph.js';
import type { Inventory } from '../../../interpreter/inventory/index.js';
import { loadPhoenixConfig, type LoadPhoenixConfigOptions, type PhoenixConfig } from '../../../interpreter/config/index.js';

/** Absolute path of a fixture (tests run from dist/, the fixtures stay in the source tree). */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../../../../test/interpreter/config/fixtures/${name}`, import.meta.url));
}

/** The example hypervisor file (a copy of the users' format from shared/examples). */
export const EXAMPLE = 'example/phoenix_hypervisor_config.json';
/** Feature task files of the fixtures: base_setup, nvidia, docker. */
export const FEATURES = 'features';

/** Loads fixture files; `lxc` overrides the lxc file the hypervisor file names. */
export function load(hypervisor: string, options: LoadPhoenixConfigOptions & { lxc?: string } = {}): { config?: PhoenixConfig; errors: ErrorList } {
  const errors = new ErrorList();
  const { lxc, ...rest } = options;
  const config = loadPhoenixConfig(fixture(hypervisor), errors, { ...rest, lxcFile: lxc === undefined ? undefined : fixture(lxc) });
  return { config, errors };
}

/** Loads fixture files that must load without any error. */
export function loadClean(hypervisor: string, options: LoadPhoenixConfigOptions & { lxc?: string } = {}): PhoenixConfig {
  const { config, errors } = load(hypervisor, options);
  errors.throwIfAny();
  if (!config) throw new Error('no configuration and no error');
  return config;
}

/** Each error as `CODE JSONPATH file:line:column` (file relative to the fixtures folder): codes and places, not wording. */
export function errorSummary(errors: ErrorList): string[] {
  const root = fixture('');
  return errors.errors.map((e) => {
    const where = e.pos ? `${e.pos.file.replace(root, '')}:${e.pos.line}:${e.pos.column}` : '-';
    return `${e.code} ${e.jsonPath ?? '-'} ${where}`;
  });
}

/** An inventory with these hosts in group proxmox (cluster nodes). */
export function nodesInventory(...names: string[]): Inventory {
  const inv = emptyInventory();
  for (const n of names) ensureHost(inv, n, 'proxmox');
  reconcileInventory(inv);
  return inv;
}

/** The PhoenixErrors `fn` throws (one, or each of an ErrorListError); [] when it does not throw. */
export function thrown(fn: () => unknown): PhoenixError[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof PhoenixError) return [error];
    if (error instanceof ErrorListError) return error.errors;
    throw error;
  }
  return [];
}
