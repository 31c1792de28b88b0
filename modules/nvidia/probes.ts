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

/** How the probing user (root here) may use one device node: numeric ids, access(2) answers, and an open(2). */
export interface NodeAccess {
  path: string;
  /** Numeric owner and group as seen here: 65534 for host ids an unprivileged container does not map. */
  uid: number;
  gid: number;
  /** `test -r` / `test -w`: access(2), which applies the user-namespace rules (unmapped owner = "other" bits). */
  read: boolean;
  write: boolean;
  /** `ok`, or the shell's error when opening for reading fails: EPERM = the device cgroup, EACCES = permissions. */
  open: string;
}

/** One line per node: path, uid:gid, r/w letters, open result (tab-separated). */
const NODE_ACCESS_SCRIPT = [
  'for p; do',
  'r=-; w=-; [ -r "$p" ] && r=r; [ -w "$p" ] && w=w',
  'e=$( (: <"$p") 2>&1 | tr "\\t\\n" "  " ) && [ -z "$e" ] && e=ok',
  'printf "%s\\t%s\\t%s%s\\t%s\\n" "$p" "$(stat -L -c %u:%g -- "$p")" "$r" "$w" "$e"',
  'done',
].join('\n');

/**
 * For each node of `paths`, in one command: its numeric owner, whether this user may read and write it, and what
 * opening it does. Opening for reading only: a missing driver answers ENXIO, which says the cgroup let it by.
 */
export async function probeNodeAccess(conn: Connection, paths: string[]): Promise<NodeAccess[]> {
  if (paths.length === 0) return [];
  const r = await conn.run(shellCommand('sh', '-c', NODE_ACCESS_SCRIPT, 'sh', ...paths));
  return r.stdout.split('\n').flatMap((line) => {
    const m = /^(\S+)\t(\d+):(\d+)\t([r-])([w-])\t(.*)$/.exec(line);
    if (!m) return [];
    return [{ path: m[1]!, uid: Number(m[2]), gid: Number(m[3]), read: m[4] === 'r', write: m[5] === 'w', open: m[6]!.trim() }];
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

/** Probes several of verify's checks need, each run at most once per task (the first check to ask runs it). */
export interface SharedProbes {
  nvcc(): Promise<(NvccVersion & { path: string }) | undefined>;
  deviceNodes(): Promise<DeviceNode[]>;
}

export function sharedProbes(conn: Connection): SharedProbes {
  let nvcc: ReturnType<SharedProbes['nvcc']> | undefined;
  let nodes: Promise<DeviceNode[]> | undefined;
  return {
    nvcc: () => (nvcc ??= probeNvcc(conn)),
    deviceNodes: () => (nodes ??= probeDeviceNodes(conn)),
  };
}
