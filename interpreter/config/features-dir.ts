import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PhoenixError, type ErrorList, type SourcePosition } from '../errors.js';
import type { Inventory } from '../inventory/types.js';
import { packageRoot } from '../package-root.js';
import { allVar } from './all-var.js';
import { configError } from './config-error.js';
import type { JsonSource } from './json-source.js';

/**
 * The inventory variable (of `all`) that names the directory of the feature task files, relative to the inventory
 * file that sets it. Plays see it as an absolute path: site.yml includes `{{ phoenix_features_dir }}/<feature>.yml`.
 */
export const FEATURES_DIR_VAR = 'phoenix_features_dir';

/** Where a project keeps its feature task files, relative to the project's directory. */
export const PROJECT_FEATURES_DIR = join('playbooks', 'features');

/** The directory of the feature task files, and why that one. */
export interface FeaturesDir {
  /** Absolute. */
  dir: string;
  /**
   * `inventory`: the inventory's `phoenix_features_dir`; `project`: the nearest `playbooks/features/` at or above the
   * inventory; `phoenix`: phoenix's own `playbooks/features/` (none above the inventory); `extra-vars`: `-e
   * phoenix_features_dir=...` (relative to the current directory); `explicit`: given by the caller.
   */
  source: 'extra-vars' | 'inventory' | 'project' | 'phoenix' | 'explicit';
  /** Where `phoenix_features_dir` is set (source `inventory`). */
  pos?: SourcePosition;
  /** The directory the project search started from (sources `project` and `phoenix`). */
  from?: string;
}

/**
 * The one place that decides where feature task files live, for the config check and for the plays alike
 * (it sets `phoenix_features_dir`, as an absolute path, for every host). First found:
 *
 * 0. `phoenix_features_dir` given with `-e` (`extra`), relative to the current directory: extra vars win over
 *    everything, so the plays would use it anyway;
 * 1. `phoenix_features_dir` in the inventory's `all` vars (inline or `group_vars/all`), relative to the file that sets it;
 * 2. the project's `playbooks/features/`: the nearest directory at or above `from` (the inventory that points at the
 *    configuration) that has one, as git finds `.git`;
 * 3. phoenix's own `playbooks/features/` (the install that runs), so `phoenix` on PATH works from any directory.
 *
 * Returns undefined (and reports E_CONFIG_FEATURES_DIR) when the variable is not a path.
 */
export function resolveFeaturesDir(inventory: Inventory, from: string, errors: ErrorList, extra?: { value: unknown }): FeaturesDir | undefined {
  const named = allVar(inventory, FEATURES_DIR_VAR);
  const isPath = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';
  let features: FeaturesDir;
  if (extra) {
    if (!isPath(extra.value)) {
      errors.add(new PhoenixError('E_CONFIG_FEATURES_DIR', `-e ${FEATURES_DIR_VAR} must be the path of the directory of the feature task files`, {
        hint: `e.g. -e ${FEATURES_DIR_VAR}=./my-features (relative to the current directory)`,
      }, 5));
      return undefined;
    }
    features = { dir: resolve(extra.value), source: 'extra-vars' };
  } else if (named) {
    if (!isPath(named.value)) {
      errors.add(new PhoenixError('E_CONFIG_FEATURES_DIR', `${FEATURES_DIR_VAR} must be the path of the directory of the feature task files`, {
        pos: named.pos,
        hint: `e.g. ${FEATURES_DIR_VAR}: ../playbooks/features (relative to the inventory file that sets it)`,
      }));
      return undefined;
    }
    features = { dir: resolve(named.pos ? dirname(named.pos.file) : process.cwd(), named.value), source: 'inventory', pos: named.pos };
  } else {
    features = projectFeaturesDir(from);
  }
  // The inventory's own setting is rewritten in place (a group_vars/all value would win over all's inline vars).
  if (named) named.holder[FEATURES_DIR_VAR] = features.dir;
  const all = inventory.groups.get('all');
  if (all && !named) all.vars[FEATURES_DIR_VAR] = features.dir;
  for (const error of misplaced(inventory)) errors.add(error);
  return features;
}

function projectFeaturesDir(from: string): FeaturesDir {
  const start = resolve(from);
  for (let dir = start; ; dir = dirname(dir)) {
    if (isDirectory(join(dir, PROJECT_FEATURES_DIR))) return { dir: join(dir, PROJECT_FEATURES_DIR), source: 'project', from: start };
    if (dir === dirname(dir)) break;
  }
  const root = packageRoot(import.meta.url) ?? start;
  return { dir: join(root, PROJECT_FEATURES_DIR), source: 'phoenix', from: start };
}

/**
 * Set on a host or another group, the variable would send that host's includes elsewhere than the config check
 * looked: one directory for the whole inventory.
 */
function misplaced(inventory: Inventory): PhoenixError[] {
  const places: Array<{ vars: Record<string, unknown>; positions: Record<string, SourcePosition> }> = [];
  for (const group of inventory.groups.values()) if (group.name !== 'all') places.push({ vars: group.vars, positions: group.varPositions });
  for (const host of inventory.hosts.values()) places.push({ vars: host.vars, positions: host.varPositions });
  for (const layer of inventory.varsLayers) {
    places.push(...layer.hostVars.values());
    for (const [name, vars] of layer.groupVars) if (name !== 'all') places.push(vars);
  }
  return places.filter(({ vars }) => Object.hasOwn(vars, FEATURES_DIR_VAR)).map(({ positions }) =>
    new PhoenixError('E_CONFIG_FEATURES_DIR', `${FEATURES_DIR_VAR} is one directory for the whole inventory: set it in all vars, not on a host or group`, {
      pos: positions[FEATURES_DIR_VAR],
      hint: 'move it to `all: vars:` or group_vars/all (the path is relative to the file that sets it)',
    }));
}

/** Where the features were looked for, in words, for error messages. */
export function describeFeaturesDir(features: FeaturesDir): string {
  switch (features.source) {
    case 'extra-vars':
      return `${features.dir} (-e ${FEATURES_DIR_VAR})`;
    case 'inventory':
      return `${features.dir} (${FEATURES_DIR_VAR}${features.pos ? `, set at ${features.pos.file}:${features.pos.line}` : ''})`;
    case 'project':
      return `${features.dir} (the project's ${PROJECT_FEATURES_DIR}, the nearest at or above ${features.from})`;
    case 'phoenix':
      return `${features.dir} (phoenix's own ${PROJECT_FEATURES_DIR}: there is no ${PROJECT_FEATURES_DIR}/ at or above ${features.from})`;
    default:
      return features.dir;
  }
}

const LXC = 'lxc_configs';
/** A feature's name: it names `<features dir>/<feature>.yml` and the group `feature_<feature>`. */
export const FEATURE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/**
 * Every feature the lxc file lists must have its task file `<dir>/<feature>.yml`: checked before connecting, but only
 * when a play includes features (`usedAt`: where), so other playbooks run against the same inventory unhindered.
 * Names the container checks reject (E_CONFIG_FEATURE_NAME) are left to them.
 */
export function checkFeatureFiles(l: JsonSource, features: FeaturesDir, errors: ErrorList, usedAt?: SourcePosition): void {
  const used = usedAt ? `; the playbook includes features at ${usedAt.file}:${usedAt.line}` : '';
  const elsewhere = features.source === 'inventory' || features.source === 'extra-vars'
    ? `or point ${FEATURES_DIR_VAR} at another directory`
    : `or set ${FEATURES_DIR_VAR} in the inventory's all vars (relative to the file that sets it) to use another directory`;
  if ((features.source === 'inventory' || features.source === 'extra-vars') && !isDirectory(features.dir)) {
    const relative = features.source === 'inventory' ? 'the inventory file that sets it' : 'the current directory';
    errors.add(new PhoenixError('E_CONFIG_FEATURES_DIR', `${FEATURES_DIR_VAR}: ${features.dir} is not a directory`, {
      pos: features.pos,
      hint: `the path is relative to ${relative}${used}`,
    }));
    return;
  }
  const raw = (l.value as Record<string, unknown> | null)?.[LXC];
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return;
  for (const [key, value] of Object.entries(raw)) {
    const list = (value as { features?: unknown } | null)?.features;
    if (!Array.isArray(list)) continue;
    list.forEach((feature, i) => {
      if (typeof feature !== 'string' || !FEATURE_NAME.test(feature) || list.indexOf(feature) !== i) return;
      const file = join(features.dir, `${feature}.yml`);
      if (isFile(file)) return;
      errors.add(configError('E_CONFIG_FEATURE', l, [LXC, key, 'features', i], `feature '${feature}' has no task file: ${file} not found`, {
        hint: `looked in ${describeFeaturesDir(features)}; check the spelling, write the feature's tasks in that file, ${elsewhere}${used}`,
      }));
    });
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
