import type { SourcePosition } from '../errors.js';
import type { ContainerToolkitConfig } from './container-toolkit.js';
import type { JsonSource } from './json-source.js';
import type { GPU_PASSTHROUGH_STYLES } from './schema.js';

/** `gpu_passthrough_style`: `auto` (devN on PVE 8.1+, else raw), `raw` or `devN`. */
export type GpuPassthroughStyle = (typeof GPU_PASSTHROUGH_STYLES)[number];

/** The `nvidia_driver` block of `phoenix_hypervisor_config.json`, with the optional fields filled in. */
export interface NvidiaDriverConfig {
  /** Whether phoenix installs the driver at all (default true). */
  install: boolean;
  /** Driver version, e.g. `580.76.05`: the single source of truth for host and containers. */
  version: string;
  runfile_url: string;
  /** Expected sha256 of the `.run` (null: only the archive's own `--check`). */
  runfile_sha256: string | null;
  /** CUDA toolkit release, e.g. `12.8`. */
  cuda_version: string;
}

/**
 * One container of `phoenix_lxc_configs.json` as the user wrote it (unknown fields kept), with `gpu_assignment`
 * defaulting to `"none"` and `features` to `[]`. `clone_from_ctid` is a string of digits as in the users' files.
 */
export interface ContainerConfig {
  name: string;
  gpu_assignment: string;
  features: string[];
  clone_from_ctid?: string;
  template?: string;
  template_snapshot_name?: string;
  /** This container's passthrough style, when it overrides the hypervisor file's. */
  gpu_passthrough_style?: GpuPassthroughStyle;
  /** The Proxmox node holding the container (a host of group proxmox); default phoenix_node or the only proxmox host. */
  node?: string;
  [field: string]: unknown;
}

/** A validated container with what the checks worked out about it. */
export interface PhoenixContainer {
  ctid: number;
  config: ContainerConfig;
  /** CTID it is cloned from, if any. */
  parent?: number;
  /** 0 for a container made from an OS template, parent's depth + 1 for a clone. */
  depth: number;
  /** `gpu_assignment` parsed: `"0,1"` -> [0, 1], `"none"` -> []. */
  gpuIndexes: number[];
  /** Where the container's CTID key is written. */
  pos: SourcePosition;
}

/** Both configuration files, validated and cross-checked. */
export interface PhoenixConfig {
  hypervisorFile: string;
  lxcFile: string;
  /** The files as parsed (with positions), for tools that need more than the typed fields. */
  sources: { hypervisor: JsonSource; lxc: JsonSource };
  nvidia: NvidiaDriverConfig;
  /** Nodes with their own driver (`nodes.<node>.nvidia_driver`, over `nvidia`); others have `nvidia`. */
  nodeDrivers: Map<string, NvidiaDriverConfig>;
  /** `core_paths.cache_dir` (default `/usr/local/phoenix_hypervisor/cache`). */
  cacheDir: string;
  /** `behavior.reboot_after_driver_install` (default false). */
  rebootAfterDriverInstall: boolean;
  /** The hypervisor file's `gpu_passthrough_style` (default `auto`): every container's unless it sets its own. */
  gpuPassthroughStyle: GpuPassthroughStyle;
  /** The hypervisor file's `shared_storage`: Proxmox storages every node sees (default none). */
  sharedStorage: string[];
  /** The lxc file's `nvidia_repo_url` (the CUDA apt repository), when given. */
  repoUrl?: string;
  /** The NVIDIA Container Toolkit for Docker in GPU containers (the lxc file's `nvidia_container_toolkit_*`, `docker_gpu_image`). */
  containerToolkit: ContainerToolkitConfig;
  /** Containers by CTID, in clone order. */
  containers: Map<number, PhoenixContainer>;
  /** CTIDs with every parent before its children, ties by CTID. */
  cloneOrder: number[];
}

/** A container's rootfs storage when its chain's root has no `storage_pool` (the lab pct's and site.yml's). */
export const DEFAULT_STORAGE_POOL = 'local-lvm';

/** Default of `core_paths.cache_dir` (the old scripts' cache). */
export const DEFAULT_CACHE_DIR = '/usr/local/phoenix_hypervisor/cache';
