import { ErrorList, PhoenixError } from '../errors.js';
import { checkDriverFormats, checkRunfileUrl } from './check-driver.js';
import { configError, stringAt } from './config-error.js';
import { jsonPath, type JsonPathSegments } from './json-path.js';
import type { JsonSource } from './json-source.js';
import { KNOWN_KEYS, checkKeyTypos, valueAt } from './schema.js';
import type { NvidiaDriverConfig, PhoenixConfig } from './types.js';

/**
 * A node's own driver (issue 14): `nodes.<node>.nvidia_driver` in the hypervisor file, any of the `nvidia_driver`
 * keys, each over the cluster's. One version for the whole cluster stays the rule; an override is written on purpose.
 */
const NODES = 'nodes';
const CLUSTER = ['nvidia_driver'];

/** Where a node's override block is written. */
export function nodeDriverPath(node: string): JsonPathSegments {
  return [NODES, node, 'nvidia_driver'];
}

/** Node names of the hypervisor file's `nodes` block. */
export function overriddenNodes(h: JsonSource): string[] {
  const nodes = valueAt(h.value, [NODES]);
  return nodes && typeof nodes === 'object' && !Array.isArray(nodes) ? Object.keys(nodes) : [];
}

/**
 * Checks every node override: key typos, the formats of what it sets, and that the runfile URL it ends up with
 * (its own or the cluster's) names the version it ends up with. Errors sit at the override's own keys.
 */
export function checkNodeDrivers(h: JsonSource, errors: ErrorList): void {
  for (const node of overriddenNodes(h)) {
    const block = nodeDriverPath(node);
    checkKeyTypos(h, [NODES, node], KNOWN_KEYS.node, errors);
    checkKeyTypos(h, block, KNOWN_KEYS.nvidia_driver, errors);
    const ownVersion = checkDriverFormats(h, block, errors);
    const versionWritten = stringAt(h, [...block, 'version']) !== undefined;
    const ownUrl = stringAt(h, [...block, 'runfile_url']);
    if (!versionWritten && ownUrl === undefined) continue;
    const version = versionWritten ? ownVersion : stringAt(h, [...CLUSTER, 'version']);
    const versionPath = versionWritten ? [...block, 'version'] : [...CLUSTER, 'version'];
    if (ownUrl !== undefined) {
      checkRunfileUrl(h, { url: ownUrl, urlPath: [...block, 'runfile_url'], version, versionPath }, errors);
      continue;
    }
    const clusterUrl = stringAt(h, [...CLUSTER, 'runfile_url']);
    if (clusterUrl === undefined || !version) continue;
    // The cluster URL's own form was checked with the cluster block: only its version against this node's counts here.
    const found = new ErrorList();
    checkRunfileUrl(h, { url: clusterUrl, urlPath: [...CLUSTER, 'runfile_url'], version, versionPath, reportAt: [...block, 'version'] }, found);
    for (const error of found.errors) if (error.code === 'E_CONFIG_URL_VERSION') errors.add(error);
  }
}

/** Every node's driver where it differs from the cluster's block: the cluster's values under the node's own. */
export function nodeDriverConfigs(h: JsonSource, cluster: NvidiaDriverConfig): Map<string, NvidiaDriverConfig> {
  const out = new Map<string, NvidiaDriverConfig>();
  for (const node of overriddenNodes(h)) {
    const own = valueAt(h.value, nodeDriverPath(node));
    if (!own || typeof own !== 'object') continue;
    out.set(node, { ...cluster, ...(own as Partial<NvidiaDriverConfig>) });
  }
  return out;
}

/** The driver of a node: its override, else the cluster's. */
export function driverOf(config: PhoenixConfig, node: string): NvidiaDriverConfig {
  return config.nodeDrivers.get(node) ?? config.nvidia;
}

/** Where the version a node gets is written: `file:line:column` and its JSON path. */
function versionSource(config: PhoenixConfig, node: string): string {
  const h = config.sources.hypervisor;
  const path = stringAt(h, [...nodeDriverPath(node), 'version']) !== undefined ? [...nodeDriverPath(node), 'version'] : [...CLUSTER, 'version'];
  const pos = h.valuePos(path);
  return `${h.file} ${jsonPath(path)} at ${pos.line}:${pos.column}`;
}

/**
 * Checks made once containers are placed (still before connecting): every `nodes.<node>` is a host of group proxmox
 * (E_CONFIG_NODE), and a container that pins `nvidia_driver_version` pins its node's version (E_CONFIG_MISMATCH):
 * user space and kernel module must be one version, and a node may have its own.
 */
export function nodeDriverErrors(config: PhoenixConfig, placed: ReadonlyMap<number, string>, known: readonly string[]): PhoenixError[] {
  const h = config.sources.hypervisor;
  const l = config.sources.lxc;
  const errors: PhoenixError[] = [];
  for (const node of overriddenNodes(h)) {
    if (known.includes(node)) continue;
    errors.push(configError('E_CONFIG_NODE', h, [NODES, node], `nodes.${node} overrides the driver of '${node}', which is not a host of inventory group proxmox`, {
      atKey: true,
      hint: known.length ? `known nodes: ${known.join(', ')}` : 'add the node to the inventory\'s group proxmox',
    }));
  }
  for (const { ctid, config: lxc } of config.containers.values()) {
    const pin = lxc.nvidia_driver_version;
    const node = placed.get(ctid);
    if (typeof pin !== 'string' || node === undefined) continue;
    const version = driverOf(config, node).version;
    if (pin === version) continue;
    errors.push(configError('E_CONFIG_MISMATCH', l, ['lxc_configs', String(ctid), 'nvidia_driver_version'],
      `container ${ctid} pins nvidia_driver_version '${pin}' but its node ${node} has driver ${version} (${versionSource(config, node)})`, {
        hint: `set it to '${version}' or remove it: a container's NVIDIA user space must be its node's kernel module version`,
      }));
  }
  return errors;
}

/**
 * A clone made on another node (shared storage, `pct clone --target`) carries its parent's user space: on a node
 * with another driver, every clone would reinstall it, which the template exists to avoid. E_CONFIG_CLONE_DRIVER
 * at the clone, naming both nodes' versions; undefined when both nodes have one driver.
 */
export function cloneDriverError(config: PhoenixConfig, ctid: number, node: string, parent: number, parentNode: string): PhoenixError | undefined {
  const [mine, theirs] = [driverOf(config, node).version, driverOf(config, parentNode).version];
  if (mine === theirs) return undefined;
  const lxc = config.containers.get(ctid)!.config;
  const path = typeof lxc.node === 'string' ? ['lxc_configs', String(ctid), 'node'] : ['lxc_configs', String(ctid)];
  return configError('E_CONFIG_CLONE_DRIVER', config.sources.lxc, path,
    `container ${ctid} on node ${node} (driver ${mine}, ${versionSource(config, node)}) clones ${parent} on node ${parentNode} (driver ${theirs}): `
      + 'the clone would carry the other driver\'s user space and reinstall it', {
      atKey: true,
      hint: `give node ${node} the same driver as ${parentNode}, or its own template chain`,
    });
}
