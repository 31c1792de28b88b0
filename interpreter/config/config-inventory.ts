import { PhoenixError } from '../errors.js';
import { ensureGroup, ensureHost, groupHosts, reconcileInventory } from '../inventory/graph.js';
import type { Inventory } from '../inventory/types.js';
import { placeContainers } from './check-nodes.js';
import { TOOLKIT_KEYS } from './container-toolkit.js';
import { nodeDriverPath } from './node-drivers.js';
import type { NvidiaDriverConfig, PhoenixConfig, PhoenixContainer } from './types.js';

/** Options of {@link configInventory}. */
export interface ConfigInventoryOptions {
  /** Inventory name of the Proxmox node holding the containers; default: the only host of group `proxmox`. */
  node?: string;
}

/** Groups every configuration makes, even when empty, so plays can target them unconditionally. */
export const CONFIG_GROUPS = ['lxc', 'templates', 'gpu'] as const;

/** Inventory name of a container: `ct901`. */
export function containerHostName(ctid: number): string {
  return `ct${ctid}`;
}

/**
 * Adds the configuration's containers to an inventory: host `ct<CTID>` per container (reached with `pct` through
 * `node`; its config as `lxc`, with `gpu_passthrough_style` resolved against the hypervisor file's), groups `lxc`,
 * `templates`, `gpu` and `feature_<name>`, and the driver settings as variables of `all` (`nvidia`,
 * `phoenix_cache_dir`, `phoenix_clone_order`, ...). A container host already in the inventory keeps the variables
 * written there (they win over the configuration's). Returns the node used; throws `E_CONFIG_NODE`.
 */
export function configInventory(config: PhoenixConfig, inventory: Inventory, options: ConfigInventoryOptions = {}): string {
  const placed = placeContainers(config, inventory, () => pickNode(inventory, options.node));
  addAllVars(config, inventory);
  for (const group of CONFIG_GROUPS) ensureGroup(inventory, group);
  for (const ctid of levelOrder(config)) addContainer(config, inventory, config.containers.get(ctid) as PhoenixContainer, placed);
  addGpuContainers(config, inventory, placed);
  addNodeDrivers(config, inventory, placed);
  reconcileInventory(inventory);
  return placed.size ? (placed.get(config.cloneOrder[0]) as string) : pickNode(inventory, options.node);
}

/** The host and group names a configuration adds, so `host_vars/`/`group_vars/` files can be found for them. */
export function configNames(config: PhoenixConfig): { hosts: string[]; groups: string[] } {
  const features = new Set([...config.containers.values()].flatMap((c) => c.config.features));
  return {
    hosts: config.cloneOrder.map(containerHostName),
    groups: [...CONFIG_GROUPS, ...[...features].map((f) => `feature_${f}`)],
  };
}

function pickNode(inventory: Inventory, node: string | undefined): string {
  if (node !== undefined) {
    if (inventory.hosts.has(node)) return node;
    throw new PhoenixError('E_CONFIG_NODE', `the containers' Proxmox node '${node}' is not an inventory host`, {
      hint: 'add the node to the inventory (group proxmox) or name another one',
    });
  }
  const nodes = groupHosts(inventory, 'proxmox');
  if (nodes.length === 1) return nodes[0];
  throw new PhoenixError('E_CONFIG_NODE', nodes.length
    ? `the inventory has ${nodes.length} hosts in group proxmox (${nodes.join(', ')}): say which one holds the containers`
    : 'the inventory has no host in group proxmox to hold the containers', {
    hint: 'set phoenix_node: <node> beside phoenix_config in the inventory\'s all vars',
  });
}

function addAllVars(config: PhoenixConfig, inventory: Inventory): void {
  const all = ensureGroup(inventory, 'all');
  const h = config.sources.hypervisor;
  const set = (name: string, value: unknown, path: string[]): void => {
    all.vars[name] = value;
    all.varPositions[name] = h.keyPos(path);
  };
  set('nvidia', { ...config.nvidia }, ['nvidia_driver']);
  set('phoenix_cache_dir', config.cacheDir, ['core_paths', 'cache_dir']);
  set('phoenix_clone_order', [...config.cloneOrder], ['core_paths', 'lxc_config_file']);
  set('phoenix_clone_batches', cloneBatches(config), ['core_paths', 'lxc_config_file']);
  set('cuda_toolkit_package', cudaToolkitPackage(config.nvidia), ['nvidia_driver', 'cuda_version']);
  set('phoenix_reboot_after_driver_install', config.rebootAfterDriverInstall, ['behavior', 'reboot_after_driver_install']);
  const toolkitKey = Object.values(TOOLKIT_KEYS).find((k) => Object.hasOwn(config.sources.lxc.value as object, k));
  all.vars.nvidia_container_toolkit = structuredClone(config.containerToolkit);
  all.varPositions.nvidia_container_toolkit = config.sources.lxc.keyPos(toolkitKey ? [toolkitKey] : []);
  if (config.repoUrl !== undefined) {
    all.vars.nvidia_repo_url = config.repoUrl;
    all.varPositions.nvidia_repo_url = config.sources.lxc.keyPos(['nvidia_repo_url']);
  }
}

function addContainer(config: PhoenixConfig, inventory: Inventory, container: PhoenixContainer, placed: ReadonlyMap<number, string>): void {
  const { ctid, config: lxc } = container;
  const node = placed.get(ctid) as string;
  const name = containerHostName(ctid);
  const existing = inventory.hosts.get(name);
  const host = ensureHost(inventory, name, 'lxc', container.pos, config.lxcFile);
  const vars: Record<string, unknown> = {
    ansible_connection: 'pct',
    proxmox_vmid: ctid,
    proxmox_node: node,
    lxc: { ...structuredClone(lxc), gpu_passthrough_style: lxc.gpu_passthrough_style ?? config.gpuPassthroughStyle },
    gpu_indexes: [...container.gpuIndexes],
    phoenix_clone_depth: container.depth,
    phoenix_features: inheritedFeatures(config, container),
    ...(container.parent !== undefined ? {
      phoenix_clone_snapshot: config.containers.get(container.parent)?.config.template_snapshot_name,
      // Where `pct clone` runs: the parent's node (another node than proxmox_node only on shared storage: --target).
      phoenix_clone_node: placed.get(container.parent),
    } : {}),
  };
  for (const [key, value] of Object.entries(vars)) {
    if (existing && Object.hasOwn(existing.vars, key)) continue;
    host.vars[key] = value;
    host.varPositions[key] = container.pos;
  }
  if (lxc.template_snapshot_name !== undefined) ensureHost(inventory, name, 'templates');
  if (container.gpuIndexes.length) ensureHost(inventory, name, 'gpu');
  for (const feature of lxc.features) ensureHost(inventory, name, `feature_${feature}`);
}

/**
 * Containers by clone level, then CTID: the inventory order `site.yml` walks with `serial: phoenix_clone_batches`,
 * so every parent is finished (and snapshotted) before its clones are made, and one level runs in parallel.
 */
function levelOrder(config: PhoenixConfig): number[] {
  return [...config.cloneOrder].sort((a, b) => config.containers.get(a)!.depth - config.containers.get(b)!.depth || a - b);
}

/** How many containers each clone level has, in level order: the `serial` batch sizes of the containers play. */
function cloneBatches(config: PhoenixConfig): number[] {
  const counts: number[] = [];
  for (const c of config.containers.values()) counts[c.depth] = (counts[c.depth] ?? 0) + 1;
  return counts.filter((n) => n > 0);
}

/**
 * Features a container has: its ancestors' (what its snapshot already carries) then its own, each once. A clone
 * re-runs its ancestors' feature tasks; they report ok unless something drifted (a new driver version).
 */
function inheritedFeatures(config: PhoenixConfig, container: PhoenixContainer): string[] {
  const chain: PhoenixContainer[] = [];
  for (let c: PhoenixContainer | undefined = container; c; c = c.parent === undefined ? undefined : config.containers.get(c.parent)) chain.unshift(c);
  return [...new Set(chain.flatMap((c) => c.config.features))];
}

/**
 * `phoenix_gpu_containers` of every node: its containers with GPUs, in clone order, as `{ host, vmid, nvidia }`
 * (`nvidia`: the container gets the driver's user space). site.yml's rolling upgrade stops, restarts and upgrades them.
 */
function addGpuContainers(config: PhoenixConfig, inventory: Inventory, placed: ReadonlyMap<number, string>): void {
  const nodes = new Set([...groupHosts(inventory, 'proxmox'), ...placed.values()]);
  for (const node of nodes) {
    const host = inventory.hosts.get(node);
    if (!host || Object.hasOwn(host.vars, 'phoenix_gpu_containers')) continue;
    host.vars.phoenix_gpu_containers = config.cloneOrder.map((ctid) => config.containers.get(ctid) as PhoenixContainer)
      .filter((c) => c.gpuIndexes.length > 0 && placed.get(c.ctid) === node)
      .map((c) => ({ host: containerHostName(c.ctid), vmid: c.ctid, nvidia: inheritedFeatures(config, c).includes('nvidia') }));
    host.varPositions.phoenix_gpu_containers = config.sources.lxc.keyPos(['lxc_configs']);
  }
}

/** The apt package of a CUDA release: `12.8` -> `cuda-toolkit-12-8`. */
function cudaToolkitPackage(driver: NvidiaDriverConfig): string {
  return `cuda-toolkit-${driver.cuda_version.replace('.', '-')}`;
}

/**
 * A node with its own driver (`nodes.<node>.nvidia_driver`) gets `nvidia` and `cuda_toolkit_package` as host
 * variables, and so does every container on it: the roll installs the node's version, the containers' user space
 * follows their node's module.
 */
function addNodeDrivers(config: PhoenixConfig, inventory: Inventory, placed: ReadonlyMap<number, string>): void {
  for (const [node, driver] of config.nodeDrivers) {
    const pos = config.sources.hypervisor.keyPos(nodeDriverPath(node));
    const hosts = [node, ...[...placed].filter(([, n]) => n === node).map(([ctid]) => containerHostName(ctid))];
    for (const name of hosts) {
      const host = inventory.hosts.get(name);
      if (!host) continue;
      host.vars.nvidia = { ...driver };
      host.vars.cuda_toolkit_package = cudaToolkitPackage(driver);
      host.varPositions.nvidia = pos;
      host.varPositions.cuda_toolkit_package = pos;
    }
  }
}
