import { createHash } from 'node:crypto';
import { raw, shellCommand } from '../../interpreter/connection/quote.js';
import { CommandTimeoutError, type CommandResult, type Connection } from '../../interpreter/connection/types.js';
import { cudaVersionText, parseComputeOutput, type ComputeDevice, type ComputeError, type ComputeOutput } from './compute-output.js';
import { COMPUTE_PROGRAM_SOURCE } from './compute-program.js';
import { sharedProbes, type SharedProbes } from './probes.js';
import type { DeviceNode } from './device-nodes.js';
import type { NvccVersion } from './versions.js';

/**
 * verify's `compute` check: the CUDA program of compute-program.ts, compiled in the target by its own nvcc into a
 * cache directory of its own (named by the hash of the source and the nvcc version, so a re-run compiles nothing),
 * run once, its output judged. It writes nothing outside that directory; check mode runs it too (verify's other
 * checks read the same host, and the cache is not state phoenix configures).
 */

/** Where the compiled program is kept unless `compute_cache_dir` says otherwise. */
export const DEFAULT_COMPUTE_CACHE_DIR = '/var/cache/phoenix/compute-check';

/** The longest the compiled program may run (it needs well under a second per GPU; a hung driver must not hang verify). */
const RUN_TIMEOUT_MS = 120_000;
/** nvcc takes a few seconds for this program; a cold JIT cache or a slow disk more. */
const COMPILE_TIMEOUT_MS = 600_000;

/** What the compute check registers (verify's `data.compute`). */
export interface ComputeFindings {
  nvcc: string;
  binary: string;
  /** True when this run compiled the program; false when it reused the cached binary. */
  compiled: boolean;
  /** The CUDA runtime the program was built with and the newest CUDA the driver supports: `12.8`, `13.0`. */
  runtime_version?: string;
  driver_cuda_version?: string;
  device_count?: number;
  devices: Array<{ index: number; name: string; capability: string; vecadd: 'ok' | 'wrong' | 'not run' }>;
  /** cudaGetErrorName of the first CUDA error. */
  error?: string;
  /** The one-line result for verify's reason, when the check passed. */
  summary?: string;
}

/** The GPUs verify was asked for (its `gpus` argument). */
export interface WantedGpus {
  count: number;
  indexes?: number[];
}

/** Runs the compute check; sets `found.compute` and pushes at most one problem, starting `compute: `. */
export async function checkCompute(conn: Connection, request: { cacheDir?: string; gpus: WantedGpus; probes?: SharedProbes },
  found: { compute?: ComputeFindings }, problems: string[]): Promise<void> {
  const probes = request.probes ?? sharedProbes(conn);
  const result = await runComputeCheck(conn, probes, request.cacheDir ?? DEFAULT_COMPUTE_CACHE_DIR, request.gpus);
  if (result.findings) found.compute = result.findings;
  if (result.problem) problems.push(`compute: ${result.problem}`);
}

type ComputeResult = { findings?: ComputeFindings; problem?: string };

async function runComputeCheck(conn: Connection, probes: SharedProbes, cacheDir: string, gpus: WantedGpus): Promise<ComputeResult> {
  if (gpus.count === 0) return { problem: 'gpus is none: there is no GPU to compute on' };
  const nvcc = await probes.nvcc();
  if (!nvcc) return { problem: 'no nvcc in PATH, /usr/local/cuda/bin or /usr/local/cuda-*/bin: the check is compiled with the CUDA toolkit' };
  const missing = missingComputeNode(await probes.deviceNodes(), gpus);
  if (missing) return { problem: missing };
  const binary = computeBinaryPath(cacheDir, nvcc);
  // The usual case, a binary built by an earlier run: found and run in one round trip.
  let ran = await runProgram(conn, binary, true);
  let compiled = false;
  if (ran === 'not built') {
    const problem = await buildBinary(conn, nvcc, cacheDir, binary);
    if (problem) return { problem };
    compiled = true;
    ran = await runProgram(conn, binary, false);
  }
  if (ran === 'not built') return { problem: `${binary} is not there after it was compiled` };
  const build = { binary, compiled };
  const findings = findingsOf(nvcc.path, build, ran.output);
  const problem = ran.problem ?? judge(ran.output, ran.result, gpus);
  if (!problem) findings.summary = summaryOf(findings, ran.output, nvcc.release);
  return problem ? { findings, problem } : { findings };
}

/** The first device node CUDA needs that is not there: /dev/nvidia-uvm, /dev/nvidiactl, then the GPUs' nodes. */
function missingComputeNode(nodes: DeviceNode[], gpus: WantedGpus): string | undefined {
  const present = new Set(nodes.map((n) => n.path));
  if (!present.has('/dev/nvidia-uvm')) {
    return 'no /dev/nvidia-uvm: CUDA cannot start without it (a node creates it on first use, `nvidia-modprobe -u -c0`; ' +
      'a container gets it through lxc_conf and a restart)';
  }
  if (!present.has('/dev/nvidiactl')) return 'no /dev/nvidiactl: no NVIDIA driver loaded, or the GPU is not passed through (lxc_conf)';
  const gpuNode = (gpus.indexes ?? []).map((i) => `/dev/nvidia${i}`).find((p) => !present.has(p));
  if (gpuNode) return `no ${gpuNode}: that GPU is not passed through (lxc_conf gpu_assignment)`;
  if (![...present].some((p) => /^\/dev\/nvidia\d+$/.test(p))) return 'no /dev/nvidiaN: no GPU is passed through (lxc_conf gpu_assignment)';
  return undefined;
}

/** The cached binary's path: the hash of the program's source and the nvcc that compiles it. */
export function computeBinaryPath(cacheDir: string, nvcc: NvccVersion): string {
  const hash = createHash('sha256').update(COMPUTE_PROGRAM_SOURCE).update('\0').update(nvcc.version ?? nvcc.release);
  return `${cacheDir.replace(/\/+$/, '')}/compute-check-${hash.digest('hex').slice(0, 16)}`;
}

/** Printed instead of the program's output when its binary is not built yet (it is then compiled, and run). */
const NOT_BUILT = '@@phoenix-compute-not-built@@';

/** Compiles the program into `binary`; a failed compile leaves no binary (it is renamed into place). A problem, or undefined. */
async function buildBinary(conn: Connection, nvcc: NvccVersion & { path: string }, cacheDir: string, binary: string): Promise<string | undefined> {
  const mkdir = await conn.run(shellCommand('mkdir', '-p', cacheDir));
  if (mkdir.rc !== 0) return `cannot create ${cacheDir}: ${firstLine(mkdir) || `exit ${mkdir.rc}`}`;
  await conn.put(COMPUTE_PROGRAM_SOURCE, `${binary}.cu`, { mode: 0o644 });
  const compile = await conn.run(shellCommand(nvcc.path, '-O2', '-o', `${binary}.part`, `${binary}.cu`, raw('&&'),
    'mv', '-f', `${binary}.part`, binary), { timeoutMs: COMPILE_TIMEOUT_MS });
  if (compile.rc !== 0) {
    return `nvcc ${nvcc.release} (${nvcc.path}) cannot compile the check (exit ${compile.rc}): ${firstLine(compile) || 'no output'}`;
  }
  return undefined;
}

/** Runs the program; with `ifBuilt`, only when its binary is there (else 'not built'), in the same command. */
async function runProgram(conn: Connection, binary: string, ifBuilt: boolean):
  Promise<'not built' | { result: CommandResult; output: ComputeOutput; problem?: string }> {
  const quoted = shellCommand(binary);
  const command = ifBuilt ? `if [ -x ${quoted} ]; then exec ${quoted}; fi; echo ${NOT_BUILT}` : quoted;
  try {
    const result = await conn.run(command, { timeoutMs: RUN_TIMEOUT_MS });
    if (ifBuilt && result.rc === 0 && result.stdout.trim() === NOT_BUILT) return 'not built';
    return { result, output: parseComputeOutput(result.stdout) };
  } catch (error) {
    if (!(error instanceof CommandTimeoutError)) throw error;
    const result = { rc: 124, stdout: '', stderr: '' };
    return { result, output: parseComputeOutput(''), problem: `${binary} ran longer than ${RUN_TIMEOUT_MS / 1000} s (a hung GPU or driver)` };
  }
}

/** What failed, in one line, or undefined when every wanted GPU added right. */
function judge(output: ComputeOutput, result: CommandResult, gpus: WantedGpus): string | undefined {
  if (!output.recognized) return `the check program did not run (exit ${result.rc}): ${firstLine(result) || 'no output'}`;
  if (output.error) return cudaProblem(output.error, output);
  if (output.deviceCount === 0) return 'CUDA sees no GPU: no GPU visible: passthrough lines / device cgroup';
  const wrong = output.devices.find((d) => d.vecadd && !d.vecadd.ok);
  if (wrong?.vecadd && !wrong.vecadd.ok) {
    const v = wrong.vecadd;
    return `wrong result: vector add on GPU ${wrong.index} (${wrong.name}): ${v.wrong} of ${v.bytes / 4} elements wrong, ` +
      `first [${v.first}] = ${v.got}, expected ${v.expected}`;
  }
  if (!output.done) return `the check program stopped (exit ${result.rc}) before its result: ${lastLine(result.stdout) || 'no output'}`;
  const seen = output.deviceCount ?? output.devices.length;
  if (seen < gpus.count) {
    const wanted = gpus.indexes ? `GPU ${gpus.indexes.join(',')}` : `${gpus.count} GPU(s)`;
    return `CUDA sees ${seen} GPU${seen === 1 ? '' : 's'}, expected ${wanted}: not all are passed through (lxc_conf)`;
  }
  return undefined;
}

/** cudaGetErrorName, where, and what usually causes it. */
function cudaProblem(error: ComputeError, output: ComputeOutput): string {
  const where = `${error.name} from ${error.call}${error.device === undefined ? '' : ` on GPU ${error.device}`}`;
  return `${where}: ${cudaHint(error, output)}`;
}

function cudaHint(error: ComputeError, output: ComputeOutput): string {
  const runtime = output.runtimeVersion ? cudaVersionText(output.runtimeVersion) : 'unknown';
  switch (error.name) {
    case 'cudaErrorNoDevice':
      return 'no GPU visible: passthrough lines / device cgroup (lxc_conf), or no driver loaded';
    case 'cudaErrorInsufficientDriver':
      return output.driverVersion
        ? `driver older than the CUDA runtime (the driver supports CUDA ${cudaVersionText(output.driverVersion)}, the program is built with ${runtime})`
        : 'no CUDA driver library (libcuda.so.1) found: the NVIDIA driver user space is not installed';
    case 'cudaErrorSystemDriverMismatch':
      return 'the driver user space and the kernel module are different versions (install the node\'s version)';
    case 'cudaErrorUnknown':
      return `${error.message} (often /dev/nvidia-uvm unusable: not the nvidia-uvm device, or denied by the device cgroup)`;
    case 'cudaErrorNoKernelImageForDevice':
      return `${error.message} (nvcc ${runtime} has no code for this GPU's compute capability)`;
    case 'cudaErrorDevicesUnavailable':
      return `${error.message} (a GPU in exclusive-process compute mode is busy)`;
    default:
      return error.message || 'no message';
  }
}

function findingsOf(nvcc: string, build: { binary: string; compiled: boolean }, output: ComputeOutput): ComputeFindings {
  const findings: ComputeFindings = { nvcc, ...build, devices: output.devices.map(deviceFinding) };
  if (output.runtimeVersion) findings.runtime_version = cudaVersionText(output.runtimeVersion);
  if (output.driverVersion) findings.driver_cuda_version = cudaVersionText(output.driverVersion);
  if (output.deviceCount !== undefined) findings.device_count = output.deviceCount;
  if (output.error) findings.error = output.error.name;
  return findings;
}

function deviceFinding(d: ComputeDevice): ComputeFindings['devices'][number] {
  return { index: d.index, name: d.name, capability: d.capability, vecadd: d.vecadd ? (d.vecadd.ok ? 'ok' : 'wrong') : 'not run' };
}

/** `compute: 2 GPUs (2x NVIDIA H100 80GB HBM3 sm_90), vector add 4 MiB ok, compiled by nvcc 12.8`. */
function summaryOf(findings: ComputeFindings, output: ComputeOutput, release: string): string {
  const kinds = new Map<string, number>();
  for (const d of output.devices) {
    const kind = `${d.name} sm_${d.capability.replace('.', '')}`;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  const list = [...kinds].map(([kind, n]) => (n > 1 ? `${n}x ${kind}` : kind)).join(', ');
  const n = output.devices.length;
  const mib = (output.devices[0]?.vecadd?.bytes ?? 0) / 1024 / 1024;
  const build = findings.compiled ? `compiled by nvcc ${release}` : `cached build of nvcc ${release}`;
  return `compute: ${n} GPU${n === 1 ? '' : 's'} (${list}), vector add ${mib} MiB ok, ${build}`;
}

function firstLine(result: CommandResult): string {
  const lines = `${result.stderr}\n${result.stdout}`.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /error|fatal|not found|cannot|denied/i.test(l)) ?? lines[0] ?? '';
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}
