import { checkCompute, type ComputeFindings } from './nvidia/compute-check.js';
import { checkDockerGpu, type DockerGpuFindings } from './nvidia/docker-gpu-check.js';
import { judgeNode, type ProbedNode } from './nvidia/node-access.js';
import {
  allNodeAccessProbe, deviceNodesProbe, gpuProbe, kernelModuleProbe, nvccLocateProbe, probeNodeModuleVersion, runProbes, sharedProbes,
  type GpuProbe, type NodeAccess, type Probe, type SharedProbes,
} from './nvidia/probes.js';
import type { DeviceNode } from './nvidia/device-nodes.js';
import type { GpuInfo } from './nvidia/smi.js';
import { DRIVER_VERSION_ARG, type KernelModuleVersion } from './nvidia/versions.js';
import type { Module, ModuleContext } from './types.js';
import { askNodeOncePerTask } from './common/shared.js';
import type { PlannedDriver } from './nvidia_run/host.js';

type Check = 'driver' | 'toolkit' | 'devices' | 'compute' | 'docker_gpu';

export interface VerifyArgs {
  driver_version?: string;
  cuda_version?: string;
  gpus?: number | number[] | string;
  checks?: Check[];
  host_driver_version?: string;
  /** Where the compute check keeps its compiled program (default /var/cache/phoenix/compute-check). */
  compute_cache_dir?: string;
  /** The local image the docker_gpu check runs with `--gpus all`; null or absent: that check is skipped. */
  docker_gpu_image?: string | null;
}

/** What verify found; registered as data and (nested) as the facts `nvidia.*` and `cuda.*`. */
interface Findings {
  driver_version?: string;
  gpus: Array<Omit<GpuInfo, 'driver_version'>>;
  kernel_module_version?: string;
  kernel_module_flavor?: KernelModuleVersion['flavor'];
  host_driver_version?: string;
  toolkit_version?: string;
  nvcc?: string;
  /** Every /dev/nvidia* and /dev/nvidia-caps/* node: mode, owner and group as seen here, what root may do with it. */
  devices: ProbedNode[];
  /** What is inaccessible by design or otherwise does not fail (an unreadable MIG capability node). */
  warnings: string[];
  compute?: ComputeFindings;
  docker_gpu?: DockerGpuFindings;
}

/** `gpus`: a count (`2`), indexes (`[0, 1]`, `"0,1"`); `"none"` or `[]` ask for none. */
function parseGpus(value: VerifyArgs['gpus']): { count: number; indexes?: number[] } {
  if (value === undefined) return { count: 1 };
  if (typeof value === 'number') return { count: value };
  const list = Array.isArray(value) ? value : value.trim().toLowerCase() === 'none' ? [] : value.split(',').map(Number);
  return { count: list.length, indexes: [...new Set(list)].sort((a, b) => a - b) };
}

/** The user-space version NVML reports (mismatch: the library's own version), for the node comparison. */
function userSpaceVersion(probe: GpuProbe): string | undefined {
  if (probe.ok) return probe.gpus[0]?.driver_version;
  return probe.reason === 'mismatch' ? probe.nvmlLibrary : undefined;
}

async function checkDriver(ctx: ModuleContext, args: VerifyArgs, read: Prefetched, found: Findings, problems: string[]): Promise<void> {
  const [probe, module] = [read.gpus!, read.kmod];
  if (module) Object.assign(found, { kernel_module_version: module.version, kernel_module_flavor: module.flavor });
  const loaded = module ? `kernel module ${module.version} (/proc/driver/nvidia/version)` : 'no kernel module loaded';
  if (!probe.ok) problems.push(smiProblem(probe, loaded));
  else {
    found.gpus = probe.gpus.map(({ driver_version: _, ...gpu }) => gpu);
    const versions = [...new Set(probe.gpus.map((g) => g.driver_version))];
    found.driver_version = versions[0];
    if (versions.length > 1) problems.push(`GPUs report different driver versions: ${versions.join(', ')}`);
    if (args.driver_version && found.driver_version && found.driver_version !== args.driver_version) {
      problems.push(`driver ${found.driver_version} is loaded, expected ${args.driver_version}`);
    }
  }
  if (!module && probe.ok) problems.push('nvidia-smi works but /proc/driver/nvidia/version is missing');
  await checkHost(ctx, args, found, userSpaceVersion(probe), problems);
}

function smiProblem(probe: Extract<GpuProbe, { ok: false }>, loaded: string): string {
  if (probe.reason === 'absent') return 'nvidia-smi not found: the NVIDIA driver user space is not installed here';
  if (probe.reason === 'mismatch') {
    const library = probe.nvmlLibrary ? `NVML library version: ${probe.nvmlLibrary}` : 'NVML library version not shown';
    return `Failed to initialize NVML: Driver/library version mismatch (${library}; ${loaded}): ` +
      'user space and kernel module must be the same version (reboot after a host driver update; in a container ' +
      'install the user space of the node\'s version)';
  }
  return `nvidia-smi failed (exit ${probe.rc}): ${probe.output.split('\n').slice(0, 2).join(' ') || 'no output'}; ${loaded}`;
}

/** In a container, the user space must equal its node's kernel module (read through `proxmox_node`). */
async function checkHost(ctx: ModuleContext, args: VerifyArgs, found: Findings, user: string | undefined,
  problems: string[]): Promise<void> {
  const node = typeof ctx.vars.proxmox_node === 'string' ? ctx.vars.proxmox_node : undefined;
  let host = args.host_driver_version;
  if (host === undefined && node) {
    const nodeConn = await ctx.connect(node);
    host = await askNodeOncePerTask(ctx, node, 'kernel module version', () => probeNodeModuleVersion(nodeConn));
  }
  if (host === undefined) {
    if (node) problems.push(`node ${node} has no NVIDIA kernel module loaded (/sys/module/nvidia/version)`);
    return;
  }
  found.host_driver_version = host;
  const where = node ? `node ${node}` : 'the host';
  if (user && user !== host) problems.push(`container user space ${user} != ${where} kernel module ${host}`);
}

/** nvidia-uvm's nodes appear only once something asks for them (domain 1.2). */
const UVM_HINT = ' (a node creates /dev/nvidia-uvm only on first use: `nvidia-modprobe -u -c0`; a container gets it ' +
  'through lxc_conf and a restart)';

/**
 * Required nodes: nvidiactl, nvidia-uvm and the GPUs (listed indexes, else at least `count` /dev/nvidiaN). Then
 * each node as root here may use it (one probe for all): see judgeNode for what fails and what is a warning.
 */
async function checkDevices(probes: SharedProbes, read: Prefetched, gpus: { count: number; indexes?: number[] },
  found: Findings, problems: string[]): Promise<void> {
  const nodes = await probes.deviceNodes();
  const access = new Map((read.access ?? []).map(({ path, ...a }) => [path, a]));
  found.devices = nodes.map((n) => ({ ...n, ...access.get(n.path) }));
  const present = new Set(nodes.map((d) => d.path));
  const gpuNodes = nodes.filter((d) => /^\/dev\/nvidia\d+$/.test(d.path)).map((d) => d.path);
  const wanted = ['/dev/nvidiactl', '/dev/nvidia-uvm', ...(gpus.indexes ?? []).map((i) => `/dev/nvidia${i}`)];
  const missing = wanted.filter((p) => !present.has(p));
  if (!gpus.indexes && gpuNodes.length < gpus.count) missing.unshift(gpus.count === 1 ? '/dev/nvidia0 (any /dev/nvidiaN)' : `${gpus.count - gpuNodes.length} more /dev/nvidiaN`);
  if (missing.length) problems.push(`device nodes missing: ${missing.join(', ')}${missing.includes('/dev/nvidia-uvm') ? UVM_HINT : ''}`);
  for (const finding of found.devices.map(judgeNode)) {
    if (finding.problem) problems.push(finding.problem);
    if (finding.warning) found.warnings.push(finding.warning);
  }
}

function checkGpuCount(found: Findings, gpus: { count: number; indexes?: number[] }, problems: string[]): void {
  if (found.driver_version === undefined || found.gpus.length >= gpus.count) return;
  const which = gpus.indexes ? `GPU ${gpus.indexes.join(',')}` : `${gpus.count} GPU(s)`;
  problems.push(`expected ${which}, nvidia-smi lists ${found.gpus.length}`);
}

async function checkToolkit(probes: SharedProbes, args: VerifyArgs, required: boolean, found: Findings,
  problems: string[]): Promise<void> {
  const nvcc = await probes.nvcc();
  if (nvcc) Object.assign(found, { toolkit_version: nvcc.release, nvcc: nvcc.path });
  if (!nvcc) {
    if (required) problems.push('nvcc not found in PATH, /usr/local/cuda/bin or /usr/local/cuda-*/bin: no CUDA toolkit');
    return;
  }
  const want = args.cuda_version?.replace('-', '.');
  if (want && nvcc.release !== want && !`${nvcc.version ?? nvcc.release}.`.startsWith(`${want}.`)) {
    problems.push(`CUDA toolkit ${nvcc.release} (${nvcc.path}), expected ${want}`);
  }
}

/** What the checks asked for read in one round trip (nvidia-smi, the kernel module, device nodes, nvcc). */
interface Prefetched {
  gpus?: GpuProbe;
  kmod?: KernelModuleVersion;
  nodes?: DeviceNode[];
  access?: NodeAccess[];
  /** Where nvcc is; its version is asked when a check needs it (SharedProbes.nvcc). */
  nvcc?: string;
}

async function prefetch(ctx: ModuleContext, checks: Set<Check>): Promise<Prefetched> {
  const wanted: Record<string, Probe<unknown>> = {};
  if (checks.has('driver')) Object.assign(wanted, { gpus: gpuProbe, kmod: kernelModuleProbe });
  if (checks.has('devices') || checks.has('compute')) wanted.nodes = deviceNodesProbe;
  if (checks.has('devices')) wanted.access = allNodeAccessProbe;
  if (checks.has('toolkit') || checks.has('compute')) wanted.nvcc = nvccLocateProbe;
  if (Object.keys(wanted).length === 0) return {};
  return (await runProbes(ctx.conn, wanted)) as Prefetched;
}

/** `nvidia.*` and `cuda.*` facts merged into the existing dicts (the config's `nvidia` settings stay). */
function factsOf(ctx: ModuleContext, found: Findings): Record<string, unknown> {
  const dict = (name: string): Record<string, unknown> => {
    const value = ctx.vars[name];
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  };
  return {
    nvidia: { ...dict('nvidia'), driver_version: found.driver_version ?? null, gpus: found.gpus,
      kernel_module_version: found.kernel_module_version ?? null },
    cuda: { ...dict('cuda'), toolkit_version: found.toolkit_version ?? null },
  };
}

function reasonOf(found: Findings): string {
  const gpus = `${found.gpus.length} GPU${found.gpus.length === 1 ? '' : 's'}`;
  const parts = [found.driver_version && `driver ${found.driver_version} on ${gpus}`, found.toolkit_version && `CUDA ${found.toolkit_version}`];
  const text = [parts.filter(Boolean).join(', '), found.compute?.summary, found.docker_gpu?.summary ?? found.docker_gpu?.skipped]
    .filter(Boolean).join('; ');
  return [text || `${found.devices.length} NVIDIA device nodes present`, ...found.warnings.map((w) => `warning: ${w}`)].join('; ');
}

/**
 * Check mode: what this run changes before verify reads the host (tasks predicted changed on it, a driver install
 * on its node), so that what verify finds now is not what the real run will find.
 */
function plannedFirst(ctx: ModuleContext): string | undefined {
  const node = typeof ctx.vars.proxmox_node === 'string' ? ctx.vars.proxmox_node : ctx.host;
  const driver = ctx.planned?.get<PlannedDriver>('driver', node);
  if (driver) return `the real run installs driver ${driver.version} on ${node} first`;
  const changes = ctx.planned?.changesOn(ctx.host) ?? 0;
  return changes > 0 ? `the real run changes ${ctx.host} in ${changes} earlier task(s) first` : undefined;
}

/** Why a check that did not run was skipped; in check mode after planned changes, what the real run does first. */
function skipReason(ctx: ModuleContext, skipped: string): string {
  const pending = plannedFirst(ctx);
  return pending ? `${pending}; verify then (now: ${skipped})` : skipped;
}

/**
 * `verify`: read-only checks of the NVIDIA driver, device nodes and CUDA toolkit on a node or in a container; the
 * opt-in `compute` check (nvidia/compute-check.ts) also runs a CUDA program, writing only its own cache directory.
 * Never changed; fails with every problem found, and registers what it saw either way.
 */
export const verify: Module<VerifyArgs> = {
  name: 'verify',
  schema: {
    type: 'object',
    properties: {
      driver_version: DRIVER_VERSION_ARG,
      cuda_version: { type: 'string', pattern: '^\\d+[.-]\\d+(\\.\\d+)?$', expected: 'a CUDA version such as "12.8" or "12-8"' },
      gpus: {
        type: ['integer', 'array', 'string'],
        minimum: 0,
        pattern: '^\\s*(?:[Nn][Oo][Nn][Ee]|\\d+(?:\\s*,\\s*\\d+)*)\\s*$',
        items: { type: 'integer', minimum: 0 },
        expected: 'a count, "none" or GPU indexes such as "0,1" (or a list of indexes)',
      },
      checks: { type: 'array', items: { enum: ['driver', 'toolkit', 'devices', 'compute', 'docker_gpu'] }, uniqueItems: true },
      host_driver_version: DRIVER_VERSION_ARG,
      compute_cache_dir: { type: 'string', pattern: '^/', expected: 'an absolute directory path' },
      docker_gpu_image: { type: ['string', 'null'], pattern: '^[^-\\s]\\S*$', expected: 'a local Docker image such as "nvidia/cuda:12.8.1-base-ubuntu24.04"' },
    },
    additionalProperties: false,
  },
  async plan(ctx, args) {
    const checks = new Set<Check>(args.checks ?? ['driver', 'toolkit', 'devices']);
    const gpus = parseGpus(args.gpus);
    const found: Findings = { gpus: [], devices: [], warnings: [] };
    const problems: string[] = [];
    const read = await prefetch(ctx, checks);
    const probes = sharedProbes(ctx.conn, {
      ...(read.nodes ? { deviceNodes: Promise.resolve(read.nodes) } : {}), ...('nvcc' in read ? { nvccPath: Promise.resolve(read.nvcc) } : {}),
    });
    if (checks.has('driver')) await checkDriver(ctx, args, read, found, problems);
    if (checks.has('driver')) checkGpuCount(found, gpus, problems);
    if (checks.has('devices')) await checkDevices(probes, read, gpus, found, problems);
    const toolkitRequired = args.checks?.includes('toolkit') === true || args.cuda_version !== undefined;
    if (checks.has('toolkit')) await checkToolkit(probes, args, toolkitRequired, found, problems);
    if (checks.has('compute')) await checkCompute(ctx.conn, { cacheDir: args.compute_cache_dir, gpus, probes }, found, problems);
    if (checks.has('docker_gpu')) await checkDockerGpu(ctx.conn, { image: args.docker_gpu_image, gpus }, found, problems);
    if (checks.size === 1 && found.docker_gpu?.skipped) return { changes: [], skip: skipReason(ctx, found.docker_gpu.skipped), data: { ...found } };
    const data = { ...found } as Record<string, unknown>;
    const facts = factsOf(ctx, found);
    const pending = problems.length ? plannedFirst(ctx) : undefined;
    if (pending) return { changes: [], data: { ...data, problems }, skip: `${pending}; verify then (now: ${problems.join('; ')})` };
    if (problems.length) return { changes: [], data: { ...data, problems }, facts, fail: problems.join('; ') };
    return { changes: [], reason: reasonOf(found), data, facts };
  },
  async apply() {
    return {};
  },
};
