import { raw, shellCommand } from '../../interpreter/connection/quote.js';
import type { Connection } from '../../interpreter/connection/types.js';
import { parseDeviceListing, type DeviceNode } from './device-nodes.js';
import { GPU_QUERY_FIELDS, parseGpuQuery, type GpuInfo } from './smi.js';
import {
  parseNvccVersion, parseNvmlMismatch, parseProcDriverVersion, parseSysModuleVersion, type KernelModuleVersion,
  type NvccVersion,
} from './versions.js';

/** Small typed probes: one command and its parser each. Exit codes are data; nothing here throws on them. */

/** What `nvidia-smi --query-gpu` told: the GPUs, or why there are none. */
export type GpuProbe =
  | { ok: true; gpus: GpuInfo[] }
  | { ok: false; reason: 'absent' | 'mismatch' | 'error'; output: string; rc: number; nvmlLibrary?: string };

/** Runs the GPU query `verify` registers (`index,name,uuid,driver_version,pci.bus_id`, no header). */
export async function probeGpus(conn: Connection): Promise<GpuProbe> {
  const r = await conn.run(shellCommand('nvidia-smi', `--query-gpu=${GPU_QUERY_FIELDS}`, '--format=csv,noheader'));
  const output = `${r.stdout}${r.stderr}`.trim();
  if (r.rc === 0) return { ok: true, gpus: parseGpuQuery(r.stdout) };
  if (r.rc === 127 || /nvidia-smi: (command )?not found/.test(output)) return { ok: false, reason: 'absent', output, rc: r.rc };
  const nvml = parseNvmlMismatch(output);
  if (nvml.mismatch) return { ok: false, reason: 'mismatch', output, rc: r.rc, ...(nvml.library ? { nvmlLibrary: nvml.library } : {}) };
  return { ok: false, reason: 'error', output, rc: r.rc };
}

/** The loaded kernel module as `/proc/driver/nvidia/version` shows it (also inside a container); undefined if none. */
export async function probeKernelModule(conn: Connection): Promise<KernelModuleVersion | undefined> {
  const r = await conn.run(shellCommand('cat', '/proc/driver/nvidia/version'));
  return r.rc === 0 ? parseProcDriverVersion(r.stdout) : undefined;
}

/** A node's kernel module version: `/sys/module/nvidia/version`, else the `/proc/driver/nvidia/version` wording. */
export async function probeNodeModuleVersion(conn: Connection): Promise<string | undefined> {
  const r = await conn.run(shellCommand('cat', '/sys/module/nvidia/version', raw('2>/dev/null ||'), 'cat', '/proc/driver/nvidia/version'));
  if (r.rc !== 0) return undefined;
  return parseSysModuleVersion(r.stdout) ?? parseProcDriverVersion(r.stdout)?.version;
}

/** The NVIDIA device nodes present (`ls -l /dev/nvidia* /dev/nvidia-caps/`). */
export async function probeDeviceNodes(conn: Connection): Promise<DeviceNode[]> {
  const r = await conn.run(shellCommand('ls', '-l', raw('/dev/nvidia*'), '/dev/nvidia-caps/', raw('2>/dev/null')));
  return parseDeviceListing(r.stdout);
}

/**
 * The nodes among `paths` whose open(2) fails with EPERM/EACCES: the device cgroup refuses them (a missing or
 * wrong `lxc.cgroup2.devices.allow` major). Other errors (ENXIO without a driver) do not count: the cgroup let it by.
 */
export async function probeDeniedNodes(conn: Connection, paths: string[]): Promise<Array<{ path: string; error: string }>> {
  if (paths.length === 0) return [];
  const script = 'for p; do e=$( (: <"$p") 2>&1 ) || printf "%s\\t%s\\n" "$p" "$e"; done';
  const r = await conn.run(shellCommand('sh', '-c', script, 'sh', ...paths));
  return r.stdout.split('\n').flatMap((line) => {
    const [path, error = ''] = line.split('\t');
    return path && /Operation not permitted|Permission denied/.test(error) ? [{ path, error: error.trim() }] : [];
  });
}

/** Where `nvcc` is: PATH, then /usr/local/cuda/bin, then the newest /usr/local/cuda-X.Y/bin. */
const LOCATE_NVCC = 'command -v nvcc || { for n in /usr/local/cuda/bin/nvcc $(ls -d /usr/local/cuda-*/bin/nvcc 2>/dev/null | sort -rV); ' +
  'do [ -x "$n" ] && { echo "$n"; exit 0; }; done; exit 1; }';

/** The default CUDA toolkit: its nvcc path and release, or undefined when no nvcc is found. */
export async function probeNvcc(conn: Connection): Promise<(NvccVersion & { path: string }) | undefined> {
  const located = await conn.run(shellCommand('sh', '-c', LOCATE_NVCC));
  const path = located.stdout.trim().split('\n')[0];
  if (located.rc !== 0 || !path) return undefined;
  const r = await conn.run(shellCommand(path, '--version'));
  const version = r.rc === 0 ? parseNvccVersion(r.stdout) : undefined;
  return version ? { ...version, path } : undefined;
}
