import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ErrorList, ErrorListError, PhoenixError, type SourcePosition } from '../errors.js';
import type { Inventory, VarsLayer } from '../inventory/types.js';
import { loadVarsLayer } from '../inventory/vars-files.js';
import { configInventory, configNames } from './config-inventory.js';
import { loadPhoenixConfig, type LoadPhoenixConfigOptions } from './load-phoenix-config.js';
import type { PhoenixConfig } from './types.js';
import { isDirectory } from '../inventory/vars-files.js';
import { allVar } from './all-var.js';
import { checkFeatureFiles, resolveFeaturesDir, type FeaturesDir } from './features-dir.js';

/** Options of {@link applyPhoenixConfig}. */
export interface ApplyPhoenixConfigOptions extends Omit<LoadPhoenixConfigOptions, 'featuresDir'> {
  /** The hypervisor configuration file (relative to the current directory), instead of the inventory's `phoenix_config`. */
  config?: string;
  /** The containers' Proxmox node, instead of the inventory's `phoenix_node` or the only host of group `proxmox`. */
  node?: string;
  /**
   * Also check now that every listed feature has its task file in the features directory (see resolveFeaturesDir).
   * `phoenix run` does it only when a play includes features, with {@link checkAppliedFeatures}.
   */
  checkFeatures?: boolean;
  /** `phoenix_features_dir` given as an extra var (`-e`), relative to the current directory: it wins over the inventory. */
  extraFeaturesDir?: { value: unknown };
}

/** What {@link applyPhoenixConfig} loaded and where it put the containers. */
export interface AppliedPhoenixConfig {
  config: PhoenixConfig;
  node: string;
  /** Where the feature task files are (`phoenix_features_dir` of every host). */
  features: FeaturesDir;
}

/** The variable of `all` that points an inventory at the hypervisor configuration file. */
export const CONFIG_VAR = 'phoenix_config';
/** The variable of `all` that names the node holding the containers, when group proxmox has several hosts. */
export const NODE_VAR = 'phoenix_node';
/** Variables the configuration sets: defining them in the inventory too would make a second source of truth. */
export const CONFIG_OWNED_VARS = ['nvidia', 'phoenix_cache_dir', 'phoenix_clone_order', 'phoenix_clone_batches', 'cuda_toolkit_package', 'phoenix_reboot_after_driver_install', 'nvidia_repo_url',
  'nvidia_container_toolkit'];

/** Name of the hypervisor file phoenix looks for beside the inventory when no `phoenix_config` names one. */
export const DEFAULT_CONFIG_NAME = 'phoenix_hypervisor_config.json';

/**
 * Loads the JSON configuration of an inventory and adds its containers (see configInventory). The file is, first
 * found: `options.config`; the `phoenix_config` variable of `all` (inline or in `group_vars/all`, relative to the file
 * that sets it: `all: vars: phoenix_config: ../config/phoenix_hypervisor_config.json`); `phoenix_hypervisor_config.json`
 * in an inventory directory source or beside an inventory file. Also decides where the feature task files are
 * (resolveFeaturesDir: `phoenix_features_dir`, else the project's `playbooks/features/`, else phoenix's own) and sets
 * `phoenix_features_dir` to it; the files themselves are checked only with `checkFeatures` or checkAppliedFeatures.
 * Returns undefined when there is no configuration or when anything is wrong; every problem goes to `errors`.
 */
export function applyPhoenixConfig(inventory: Inventory, errors: ErrorList, options: ApplyPhoenixConfigOptions = {}): AppliedPhoenixConfig | undefined {
  const ref = configReference(inventory, options);
  if (!ref) return undefined;
  if (typeof ref.value !== 'string' || ref.value === '') {
    errors.add(new PhoenixError('E_CONFIG_REF', `${CONFIG_VAR} must be the path of phoenix_hypervisor_config.json`, { pos: ref.pos }));
    return undefined;
  }
  const file = resolve(ref.pos ? dirname(ref.pos.file) : process.cwd(), ref.value);
  const config = loadConfigAt(file, ref.pos, errors, options);
  if (!config) return undefined;
  const before = errors.errors.length;
  const extraLayers = varsLayersFor(inventory, config, errors);
  for (const conflict of ownedVarConflicts(inventory, extraLayers)) errors.add(conflict);
  if (errors.errors.length > before) return undefined;
  const nodeRef: { value: unknown; pos?: SourcePosition } | undefined = options.node !== undefined ? { value: options.node } : allVar(inventory, NODE_VAR);
  try {
    const node = configInventory(config, inventory, { node: nodeRef === undefined ? undefined : String(nodeRef.value) });
    extraLayers.forEach((extra, i) => mergeLayer(inventory.varsLayers[i], extra));
    const features = resolveFeaturesDir(inventory, ref.from, errors, options.extraFeaturesDir);
    if (features && options.checkFeatures) checkFeatureFiles(config.sources.lxc, features, errors);
    if (!features || errors.errors.length > before) return undefined;
    return { config, node, features };
  } catch (error) {
    const list = error instanceof ErrorListError ? error.errors : error instanceof PhoenixError ? [error] : undefined;
    if (!list) throw error;
    for (const one of list) {
      one.pos ??= nodeRef?.pos ?? ref.pos;
      errors.add(one);
    }
    return undefined;
  }
}

/**
 * The configuration file's reference; `from` is where the inventory that points at it lives (the project's features
 * directory is looked for from there).
 */
function configReference(inventory: Inventory, options: ApplyPhoenixConfigOptions): { value: unknown; pos?: SourcePosition; from: string } | undefined {
  const dirOf = (source: string) => (isDirectory(source) ? source : dirname(source));
  if (options.config !== undefined) return { value: resolve(options.config), from: inventory.sources[0] ? dirOf(inventory.sources[0]) : process.cwd() };
  const named = allVar(inventory, CONFIG_VAR);
  if (named) return { value: named.value, pos: named.pos, from: named.pos ? dirname(named.pos.file) : process.cwd() };
  for (const source of inventory.sources) {
    const dir = dirOf(source);
    if (existsSync(join(dir, DEFAULT_CONFIG_NAME))) return { value: join(dir, DEFAULT_CONFIG_NAME), from: dir };
  }
  return undefined;
}

/**
 * The feature task files of every container, checked against the features directory before connecting: `phoenix run`
 * calls it when a play includes features (`usedAt`: the first such include).
 */
export function checkAppliedFeatures(applied: AppliedPhoenixConfig, errors: ErrorList, usedAt?: SourcePosition): void {
  checkFeatureFiles(applied.config.sources.lxc, applied.features, errors, usedAt);
}


/** A missing file named by the inventory is an inventory error at the `phoenix_config` line (exit 4). */
function loadConfigAt(file: string, pos: SourcePosition | undefined, errors: ErrorList, options: LoadPhoenixConfigOptions): PhoenixConfig | undefined {
  const own = new ErrorList();
  const config = loadPhoenixConfig(file, own, options);
  for (const error of own.errors) {
    if (error.code === 'E_CONFIG_MISSING' && error.pos === undefined && pos) {
      errors.add(new PhoenixError(error.code, `${CONFIG_VAR}: ${error.message}`, { pos, hint: 'the path is relative to the inventory file that sets it' }));
    } else {
      errors.add(error);
    }
  }
  return config;
}

/**
 * The inventory loaded `host_vars/` and `group_vars/` only for the names it knew; the containers and their groups
 * get theirs here (`host_vars/ct901.yml` applies to ct901), one extra layer per existing layer, in the same order.
 */
function varsLayersFor(inventory: Inventory, config: PhoenixConfig, errors: ErrorList): VarsLayer[] {
  const names = configNames(config);
  const fresh = { hosts: names.hosts.filter((h) => !inventory.hosts.has(h)), groups: names.groups.filter((g) => !inventory.groups.has(g)) };
  return inventory.varsLayers.map((layer) => loadVarsLayer(layer.dir, layer.origin, fresh, errors));
}

function mergeLayer(layer: VarsLayer, extra: VarsLayer): void {
  for (const [name, vars] of extra.hostVars) if (!layer.hostVars.has(name)) layer.hostVars.set(name, vars);
  for (const [name, vars] of extra.groupVars) if (!layer.groupVars.has(name)) layer.groupVars.set(name, vars);
}

/** Inventory variables (inline, group_vars, host_vars) that the configuration owns. */
function ownedVarConflicts(inventory: Inventory, extraLayers: VarsLayer[]): PhoenixError[] {
  const sources: Array<{ vars: Record<string, unknown>; positions: Record<string, SourcePosition> }> = [];
  for (const group of inventory.groups.values()) sources.push({ vars: group.vars, positions: group.varPositions });
  for (const host of inventory.hosts.values()) sources.push({ vars: host.vars, positions: host.varPositions });
  for (const layer of [...inventory.varsLayers, ...extraLayers]) sources.push(...layer.groupVars.values(), ...layer.hostVars.values());
  return sources.flatMap(({ vars, positions }) => CONFIG_OWNED_VARS.filter((name) => Object.hasOwn(vars, name)).map((name) =>
    new PhoenixError('E_CONFIG_VAR_CONFLICT', `inventory variable '${name}' is set by the JSON configuration; the inventory must not set it too`, {
      pos: positions[name],
      hint: 'change the value in phoenix_hypervisor_config.json / phoenix_lxc_configs.json instead',
    })));
}
