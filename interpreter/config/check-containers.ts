import type { ErrorList } from '../errors.js';
import { analyseCloneGraph } from './clone-graph.js';
import { configError } from './config-error.js';
import { FEATURE_NAME } from './features-dir.js';
import { jsonPath } from './json-path.js';
import type { JsonSource } from './json-source.js';
import { KNOWN_KEYS, checkKeyTypos } from './schema.js';
import type { ContainerConfig, PhoenixContainer } from './types.js';

/** What the container checks may be told about the world outside the files. */
export interface ContainerCheckOptions {
  /** How many GPUs the node has; without it GPU indexes are only checked for form. */
  gpuCount?: number;
}

const CTID_MIN = 100;
const CTID_MAX = 999_999_999;
/** Proxmox's snapshot names (pve-configid): a letter, then letters, digits, '_' or '-', at most 40 characters. */
const SNAPSHOT_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,39}$/;
/** An OS template: a path to a `.tar.*` archive, or a Proxmox volume id `storage:vztmpl/name.tar.zst`. */
const OS_TEMPLATE = /^(?:\/|[A-Za-z0-9][\w.-]*:vztmpl\/)\S*\.tar(?:\.(?:gz|xz|zst|bz2))?$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

const LXC = 'lxc_configs';

/**
 * Checks every container of the lxc file: CTIDs, clone graph, templates, GPU assignments, features, snapshot names,
 * network. Returns the containers whose CTID is valid, in clone order, with parents, depths and GPU indexes.
 */
export function checkContainers(l: JsonSource, errors: ErrorList, options: ContainerCheckOptions = {}): PhoenixContainer[] {
  const raw = (l.value as Record<string, unknown> | null)?.[LXC];
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return [];
  checkDuplicateCtids(l, errors);
  const containers = new Map<number, PhoenixContainer>();
  for (const [key, value] of Object.entries(raw)) {
    const ctid = checkCtid(l, key, errors);
    if (!value || typeof value !== 'object' || Array.isArray(value)) continue;
    checkKeyTypos(l, [LXC, key], KNOWN_KEYS.container, errors);
    const config = value as Record<string, unknown>;
    const gpuIndexes = checkGpuAssignment(l, key, config.gpu_assignment, errors, options.gpuCount);
    checkFeatureNames(l, key, config.features, errors);
    checkSnapshotName(l, key, config.template_snapshot_name, errors);
    checkNetwork(l, key, config.network_config, errors);
    if (ctid === undefined) continue;
    containers.set(ctid, { ctid, config: normalize(config), depth: 0, gpuIndexes, pos: l.keyPos([LXC, key]) });
  }
  checkOrigins(l, containers, errors);
  checkDuplicateAddresses(l, containers, errors);
  return ordered(l, containers, errors);
}

function normalize(config: Record<string, unknown>): ContainerConfig {
  const clone = config.clone_from_ctid;
  const out: Record<string, unknown> = { ...config, gpu_assignment: config.gpu_assignment ?? 'none', features: config.features ?? [] };
  if (clone === null || clone === undefined) delete out.clone_from_ctid;
  else out.clone_from_ctid = String(clone);
  if (config.template_snapshot_name === null) delete out.template_snapshot_name;
  return out as ContainerConfig;
}

function checkDuplicateCtids(l: JsonSource, errors: ErrorList): void {
  for (const dup of l.duplicates) {
    if (dup.parent.length !== 1 || dup.parent[0] !== LXC) continue;
    errors.add(configError('E_CONFIG_DUPLICATE_CTID', l, [LXC, dup.key],
      `CTID ${dup.key} is defined twice in ${jsonPath([LXC])} (first at line ${dup.first.line}); JSON would silently keep only the last`, {
        atKey: true,
        hint: 'give each container its own CTID',
      }));
  }
}

function checkCtid(l: JsonSource, key: string, errors: ErrorList): number | undefined {
  const n = /^[1-9]\d*$/.test(key) ? Number(key) : NaN;
  if (n >= CTID_MIN && n <= CTID_MAX) return n;
  errors.add(configError('E_CONFIG_CTID', l, [LXC, key], `'${key}' is not a CTID: container ids are integers ${CTID_MIN}..${CTID_MAX} (no leading zeros)`, {
    atKey: true,
  }));
  return undefined;
}

/** `"none"` or a comma list of distinct GPU indexes; returns the indexes (also when some are out of range). */
function checkGpuAssignment(l: JsonSource, key: string, value: unknown, errors: ErrorList, gpuCount?: number): number[] {
  if (typeof value !== 'string' || value.trim() === 'none') return [];
  const path = [LXC, key, 'gpu_assignment'];
  if (!/^\s*\d+(\s*,\s*\d+)*\s*$/.test(value)) {
    errors.add(configError('E_CONFIG_GPU_ASSIGNMENT', l, path, `gpu_assignment '${value}' must be "none" or GPU indexes separated by commas, e.g. "0,1"`));
    return [];
  }
  const indexes = value.split(',').map((s) => Number(s.trim()));
  const repeated = indexes.filter((n, i) => indexes.indexOf(n) !== i);
  if (repeated.length) {
    errors.add(configError('E_CONFIG_GPU_ASSIGNMENT', l, path, `gpu_assignment '${value}' names GPU ${repeated[0]} more than once`));
  }
  const missing = gpuCount === undefined ? [] : indexes.filter((n) => n >= gpuCount);
  if (missing.length) {
    errors.add(configError('E_CONFIG_GPU_INDEX', l, path, `gpu_assignment '${value}' names GPU ${missing.join(', ')} but the node has ${gpuCount} GPU(s): ${gpuCount ? `0..${gpuCount - 1}` : 'none'}`));
  }
  return [...new Set(indexes)].sort((a, b) => a - b);
}

/** Feature names (their task files are checked by checkFeatureFiles, only when a play includes features). */
function checkFeatureNames(l: JsonSource, key: string, value: unknown, errors: ErrorList): void {
  if (!Array.isArray(value)) return;
  value.forEach((feature, i) => {
    if (typeof feature !== 'string') return;
    const path = [LXC, key, 'features', i];
    if (!FEATURE_NAME.test(feature)) {
      errors.add(configError('E_CONFIG_FEATURE_NAME', l, path, `feature '${feature}' must be a name of letters, digits, '_' and '-'`, {
        hint: 'it names the task file <features dir>/<feature>.yml (playbooks/features/ by default) and the group feature_<feature>',
      }));
    } else if (value.indexOf(feature) !== i) {
      errors.add(configError('E_CONFIG_FEATURE_NAME', l, path, `feature '${feature}' is listed twice`));
    }
  });
}

function checkSnapshotName(l: JsonSource, key: string, value: unknown, errors: ErrorList): void {
  if (typeof value !== 'string' || SNAPSHOT_NAME.test(value)) return;
  errors.add(configError('E_CONFIG_SNAPSHOT_NAME', l, [LXC, key, 'template_snapshot_name'],
    `template_snapshot_name '${value}' is not a Proxmox snapshot name (a letter, then letters, digits, '_' or '-'; at most 40)`));
}

function checkNetwork(l: JsonSource, key: string, value: unknown, errors: ErrorList): void {
  if (!value || typeof value !== 'object') return;
  const net = value as Record<string, unknown>;
  const path = [LXC, key, 'network_config'];
  if (typeof net.ip === 'string' && !['dhcp', 'manual'].includes(net.ip)) {
    const [address, prefix, ...rest] = net.ip.split('/');
    if (!IPV4.test(address) || !/^\d+$/.test(prefix ?? '') || Number(prefix) > 32 || rest.length) {
      errors.add(configError('E_CONFIG_NETWORK', l, [...path, 'ip'], `ip '${net.ip}' must be an IPv4 address with its prefix (10.0.0.5/24), "dhcp" or "manual"`));
    }
  }
  if (typeof net.gw === 'string' && !IPV4.test(net.gw)) {
    errors.add(configError('E_CONFIG_NETWORK', l, [...path, 'gw'], `gw '${net.gw}' must be an IPv4 address`));
  }
}

/** Two containers with the same static address would fight over it on the bridge. */
function checkDuplicateAddresses(l: JsonSource, containers: Map<number, PhoenixContainer>, errors: ErrorList): void {
  const seen = new Map<string, number>();
  for (const { ctid, config } of [...containers.values()].sort((a, b) => a.ctid - b.ctid)) {
    const ip = (config.network_config as { ip?: unknown } | undefined)?.ip;
    if (typeof ip !== 'string' || !IPV4.test(ip.split('/')[0])) continue;
    const address = ip.split('/')[0];
    const first = seen.get(address);
    if (first === undefined) seen.set(address, ctid);
    else errors.add(configError('E_CONFIG_NETWORK_DUPLICATE', l, [LXC, String(ctid), 'network_config', 'ip'], `address ${address} is also container ${first}'s`));
  }
}

/** Each container comes from an OS template or from an existing template container's snapshot. */
function checkOrigins(l: JsonSource, containers: Map<number, PhoenixContainer>, errors: ErrorList): void {
  for (const container of containers.values()) {
    const { ctid, config } = container;
    const clone = config.clone_from_ctid;
    checkOsTemplate(l, ctid, config, clone === undefined, errors);
    if (clone === undefined) continue;
    const path = [LXC, String(ctid), 'clone_from_ctid'];
    const parent = /^[1-9]\d*$/.test(clone) ? Number(clone) : undefined;
    if (parent === undefined || !containers.has(parent)) {
      errors.add(configError('E_CONFIG_CLONE_MISSING', l, path, `clone_from_ctid '${clone}' names no container of ${jsonPath([LXC])}`, {
        hint: `known CTIDs: ${[...containers.keys()].sort((a, b) => a - b).join(', ')}`,
      }));
      continue;
    }
    container.parent = parent;
    if (parent !== ctid && containers.get(parent)?.config.template_snapshot_name === undefined) {
      errors.add(configError('E_CONFIG_CLONE_PARENT', l, path, `container ${ctid} clones ${parent}, which has no template_snapshot_name to clone from`, {
        hint: `give ${parent} a template_snapshot_name (the snapshot its clones are made from)`,
      }));
    }
  }
}

/** A container not cloned needs an OS template; any template given must look like one. */
function checkOsTemplate(l: JsonSource, ctid: number, config: ContainerConfig, required: boolean, errors: ErrorList): void {
  const template = config.template;
  if (template === undefined && required) {
    errors.add(configError('E_CONFIG_TEMPLATE_MISSING', l, [LXC, String(ctid)], `container ${ctid} has neither clone_from_ctid nor template: nothing to create it from`, {
      atKey: true,
      hint: 'set template to an OS template (/var/lib/vz/template/cache/....tar.zst) or clone_from_ctid to a template container',
    }));
  } else if (typeof template === 'string' && !OS_TEMPLATE.test(template)) {
    errors.add(configError('E_CONFIG_TEMPLATE', l, [LXC, String(ctid), 'template'],
      `template '${template}' is not an OS template: an absolute path or storage:vztmpl/ volume of a .tar(.gz|.xz|.zst) archive`));
  }
}

/** Reports clone cycles; returns the containers in clone order with their depths. */
function ordered(l: JsonSource, containers: Map<number, PhoenixContainer>, errors: ErrorList): PhoenixContainer[] {
  const graph = analyseCloneGraph(new Map([...containers].map(([ctid, c]) => [ctid, c.parent])));
  for (const cycle of graph.cycles) {
    const text = [...cycle, cycle[0]].join(' -> ');
    errors.add(configError('E_CONFIG_CLONE_CYCLE', l, [LXC, String(cycle[0]), 'clone_from_ctid'], `clone_from_ctid makes a cycle: ${text}`, {
      hint: 'one container of the cycle must be made from an OS template (template) instead',
    }));
  }
  return graph.order.map((ctid) => ({ ...(containers.get(ctid) as PhoenixContainer), depth: graph.depth.get(ctid) ?? 0 }));
}
