import { CONTAINER_FLAGS, HOST_FLAGS } from './nvidia_run/flags.js';
import type { NvidiaRunArgs } from './nvidia_run/args.js';
import { applyContainer, planContainer, type ContainerState } from './nvidia_run/container.js';
import { applyHost, planHost, type HostState } from './nvidia_run/host.js';
import { absolutePath, given, when } from './common/rules.js';
import { DRIVER_VERSION_ARG } from './nvidia/versions.js';
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
    description:
      "NVIDIA's .run driver installer, idempotent by installed version. mode: host (a Proxmox node) caches the .run once " +
      '(<cache_dir>/<file>.part, sha256 when configured, the archive\'s own --check always, rename, <file>.verified stamp), ' +
      'installs kernel headers + dkms + build-essential, blacklists nouveau, runs the installer with the kernel module and ' +
      'reports reboot_required. mode: container (a container host) pushes the node\'s cached file in with pct push (never ' +
      'downloads), installs user space only and fails unless it equals the node\'s loaded kernel module. Check mode ' +
      'shows the exact installer command.',
    properties: {
      mode: { enum: ['host', 'container'], description: 'host: the node with its kernel module; container: user space only.' },
      version: { ...DRIVER_VERSION_ARG, description: 'Driver version, e.g. "580.76.05" (quote it in YAML).' },
      url: {
        type: 'string',
        pattern: '^(?:https?|ftp)://[^\\s?#]*/[^\\s/?#.][^\\s/?#]*(?:[?#]\\S*)?$',
        expected: 'an http, https or ftp URL whose last path segment names the .run file',
        description: 'Where host mode downloads the .run; its last segment names the cached file.',
      },
      sha256: { type: 'string', pattern: '^([0-9a-fA-F]{64}|auto)$', expected: '64 hexadecimal digits (a sha256 digest) or auto', description: "Expected digest, or auto for NVIDIA's <url>.sha256sum; checked before the archive ever runs." },
      cache_dir: { ...absolutePath, description: 'Node directory of the cached .run (default /usr/local/phoenix_hypervisor/cache).' },
      flags: { ...flagList, description: 'Installer flags replacing the mode\'s defaults (HOST_FLAGS / CONTAINER_FLAGS in nvidia_run/flags.ts).' },
      extra_flags: { ...flagList, description: 'Installer flags added after the defaults (or after flags).' },
      tmpdir: { ...absolutePath, description: 'Executable temp dir for the makeself stub and the installer (--tmpdir).' },
      timeout: { type: 'integer', minimum: 1, description: 'Seconds the download and the installer may each take (default 1800).' },
      install_build_deps: { type: 'boolean', description: 'Host mode: apt-install proxmox-headers-$(uname -r) (or pve-headers-…), dkms, build-essential (default true).' },
    },
    required: ['mode', 'version'],
    allOf: [when(given('sha256', ['auto']), { required: ['url'] }, 'sha256: auto needs url (the checksum is read from <url>.sha256sum)')],
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
