/** Schema of a driver version argument (nvidia_run's version, verify's driver_version and host_driver_version). */
export const DRIVER_VERSION_ARG = { type: 'string', pattern: '^\\d{3,}\\.\\d+(\\.\\d+)?$', expected: 'a driver version such as "580.76.05"' } as const;

/**
 * Parsers for the version strings NVIDIA's driver and CUDA print. Each takes the command's stdout and returns
 * a typed value, or undefined when the text is not what the command prints (absent driver, other tool).
 * Pure functions: the command that produces each text is named in its TSDoc, so a probe pairs them.
 */

/** A driver version such as `580.159.04`, `550.54.14` or `295.20` (branch.build[.patch]). */
const DRIVER_VERSION = /\b(\d{3,})\.(\d+)(?:\.(\d+))?\b/;

/** The loaded kernel module, from `/proc/driver/nvidia/version`. */
export interface KernelModuleVersion {
  /** `580.159.04`. */
  version: string;
  /** `open` for "Open Kernel Module", `proprietary` for "Kernel Module" without "Open". */
  flavor: 'open' | 'proprietary';
  /** The GCC line's value, e.g. `gcc version 15.3.0 (GCC)`, when present. */
  gcc?: string;
}

/**
 * Parses `cat /proc/driver/nvidia/version`. Both wordings:
 * `NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release Build  (...)` and
 * `NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC 2024`.
 * The version is the first driver-shaped number after "Module", not a fixed column (the open wording has more words).
 */
export function parseProcDriverVersion(text: string): KernelModuleVersion | undefined {
  const nvrm = /^NVRM version:(.*)$/m.exec(text);
  if (!nvrm) return undefined;
  const line = nvrm[1]!;
  const afterModule = /Kernel Module(.*)$/.exec(line)?.[1] ?? line;
  const version = DRIVER_VERSION.exec(afterModule)?.[0];
  if (!version) return undefined;
  const gcc = /^GCC version:\s*(.*?)\s*$/m.exec(text)?.[1];
  const flavor = /\bOpen Kernel Module\b/.test(line) ? 'open' : 'proprietary';
  return gcc ? { version, flavor, gcc } : { version, flavor };
}

/** Parses `cat /sys/module/nvidia/version` (just `580.159.04`): the loaded module's version. */
export function parseSysModuleVersion(text: string): string | undefined {
  return exactVersion(text.trim());
}

/** What `nvidia-smi --version` prints (driver 525 and later). */
export interface NvidiaSmiVersion {
  smi?: string;
  /** NVML library version, e.g. `580.159` (two parts on recent drivers). */
  nvml?: string;
  driver?: string;
  /** Highest CUDA version the driver supports, e.g. `13.0` (not the toolkit). */
  cuda?: string;
}

/**
 * Parses `nvidia-smi --version`:
 * `NVIDIA-SMI version  : 580.159.04` / `NVML version        : 580.159` / `DRIVER version      : 580.159.04` /
 * `CUDA Version        : 13.0`. Undefined when no line matches (old nvidia-smi, or an error message).
 */
export function parseNvidiaSmiVersion(text: string): NvidiaSmiVersion | undefined {
  const field = (label: string): string | undefined =>
    new RegExp(`^\\s*${label}\\s*:\\s*(\\S+)\\s*$`, 'mi').exec(text)?.[1];
  const out: NvidiaSmiVersion = {};
  const smi = field('NVIDIA-SMI version');
  const nvml = field('NVML version');
  const driver = field('DRIVER version');
  const cuda = field('CUDA Version');
  if (smi) out.smi = smi;
  if (nvml) out.nvml = nvml;
  if (driver) out.driver = driver;
  if (cuda) out.cuda = cuda;
  return Object.keys(out).length ? out : undefined;
}

/**
 * Parses `nvidia-smi --query-gpu=driver_version --format=csv,noheader[,nounits]`: one version per GPU, in index order.
 * Returns [] when no line is a version (nvidia-smi printed an error instead).
 */
export function parseDriverVersionQuery(text: string): string[] {
  return text
    .split('\n')
    .map((line) => exactVersion(line.trim()))
    .filter((v): v is string => v !== undefined);
}

/** The CUDA compiler's release, from `nvcc --version`. */
export interface NvccVersion {
  /** `13.0`: what `cuda_version` is compared with. */
  release: string;
  /** `13.0.88`: the full build version after `V`. */
  version?: string;
}

/** Parses `nvcc --version`: `Cuda compilation tools, release 13.0, V13.0.88`. */
export function parseNvccVersion(text: string): NvccVersion | undefined {
  const m = /Cuda compilation tools, release (\d+\.\d+)(?:, V(\d+\.\d+(?:\.\d+)?))?/.exec(text);
  if (!m) return undefined;
  return m[2] ? { release: m[1]!, version: m[2] } : { release: m[1]! };
}

/**
 * Parses `nvidia-installer --version` (also what `NVIDIA-Linux-*.run --version` prints):
 * `nvidia-installer:  version 580.76.05  (buildmeister@...)  <date>`, possibly after a blank line.
 */
export function parseNvidiaInstallerVersion(text: string): string | undefined {
  const m = /^nvidia-installer:\s+version\s+(\S+)/m.exec(text);
  return m ? exactVersion(m[1]!) : undefined;
}

/**
 * The NVML library version quoted by a mismatch, from nvidia-smi's
 * `Failed to initialize NVML: Driver/library version mismatch` + `NVML library version: 580.173`.
 * `mismatch` is true whenever the first line is present; `library` only when the second is.
 */
export function parseNvmlMismatch(text: string): { mismatch: boolean; library?: string } {
  const mismatch = /Failed to initialize NVML: Driver\/library version mismatch/.test(text);
  const library = /NVML library version:\s*(\S+)/.exec(text)?.[1];
  if (!mismatch) return { mismatch: false };
  return library ? { mismatch, library } : { mismatch };
}

/** `text` when it is exactly a driver version (`580.159.04`), else undefined. */
export function exactVersion(text: string): string | undefined {
  return /^\d{3,}\.\d+(?:\.\d+)?$/.test(text) ? text : undefined;
}

/**
 * Orders dotted numeric versions part by part (`580.76.05` < `580.159.04`; missing parts count as 0).
 * Negative, zero or positive like a sort comparator.
 */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * True when two driver versions name the same build. The kernel module and user space must match exactly
 * (570.148.08 vs 570.148.06 fails NVML), so this is string equality after trimming; NVML's two-part
 * `580.159` matches any `580.159.x` only through {@link sameNvmlVersion}.
 */
export function sameDriverVersion(a: string, b: string): boolean {
  return a.trim() === b.trim();
}

/** True when NVML's `580.159` (or a full `580.159.04`) belongs to driver `580.159.04`. */
export function sameNvmlVersion(nvml: string, driver: string): boolean {
  const n = nvml.trim();
  const d = driver.trim();
  return n === d || d.startsWith(`${n}.`);
}
