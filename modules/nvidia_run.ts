import { CONTAINER_FLAGS, HOST_FLAGS } from './nvidia_run/flags.js';
import type { NvidiaRunArgs } from './nvidia_run/args.js';
import { applyContainer, planContainer, type ContainerState } from './nvidia_run/container.js';
import { applyHost, planHost, type HostState } from './nvidia_run/host.js';
import type { Module } from './types.js';

const flagList = { type: 'array', items: { type: 'string', minLength: 1 } };

/**
 * `nvidia_run`: NVIDIA's `.run` driver installer, idempotent by installed version.
 * `mode: host` (on a Proxmox node): cache the `.run` once (`.part`, sha256 + `--check`, rename, stamp), build deps,
 * nouveau blacklist, install with the kernel module; reports `reboot_required`.
 * `mode: container` (on a container host): push the node's cached file in, install user space only, and fail unless it
 * equals the node's loaded kernel module. Check mode reports the exact installer command.
 * Default flags: {@link HOST_FLAGS}, {@link CONTAINER_FLAGS}.
 */
export const nvidiaRun: Module<NvidiaRunArgs, HostState | ContainerState> = {
  name: 'nvidia_run',
  schema: {
    type: 'object',
    properties: {
      mode: { enum: ['host', 'container'] },
      version: { type: 'string', pattern: '^\\d{3,}\\.\\d+(\\.\\d+)?$' },
      url: { type: 'string', pattern: '^(https?|ftp)://[^\\s]+$' },
      sha256: { type: 'string', pattern: '^([0-9a-fA-F]{64}|auto)$' },
      cache_dir: { type: 'string', pattern: '^/' },
      flags: flagList,
      extra_flags: flagList,
      tmpdir: { type: 'string', pattern: '^/' },
      timeout: { type: 'integer', minimum: 1 },
      install_build_deps: { type: 'boolean' },
    },
    required: ['mode', 'version'],
    additionalProperties: false,
  },
  async plan(ctx, args) {
    return args.mode === 'host' ? planHost(ctx, args) : planContainer(ctx, args);
  },
  async apply(ctx, args, plan) {
    const state = plan.state!;
    return state.mode === 'host' ? applyHost(ctx, args, state) : applyContainer(ctx, args, state);
  },
};
