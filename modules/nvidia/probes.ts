import { randomBytes } from 'node:crypto';
import { raw, shellCommand } from '../../interpreter/connection/quote.js';
import type { CommandResult, Connection } from '../../interpreter/connection/types.js';
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

/** A probe: one command, and how its result reads. Several run in one round trip with {@link runProbes}. */
export interface Probe<T> {
  command: string;
  parse(result: CommandResult): T;
}

const GPU_QUERY = shellCommand('nvidia-smi', `--query-gpu=${GPU_QUERY_FIELDS}`, '--format=csv,noheader');

/** The GPU query `verify` registers (`index,name,uuid,driver_version,pci.bus_id`, no header). */
export const gpuProbe: Probe<GpuProbe> = { command: GPU_QUERY, parse: parseGpuProbe };

function parseGpuProbe(r: CommandResult): GpuProbe {
  const output = `${r.stdout}${r.stderr}`.trim();
  if (r.rc === 0) return { ok: true, gpus: parseGpuQuery(r.stdout) };
  if (r.rc === 127 || /nvidia-smi: (command )?not found/.test(output)) return { ok: false, reason: 'absent', output, rc: r.rc };
  const nvml = parseNvmlMismatch(output);
  if (nvml.mismatch) return { ok: false, reason: 'mismatch', output, rc: r.rc, ...(nvml.library ? { nvmlLibrary: nvml.library } : {}) };
  return { ok: false, reason: 'error', output, rc: r.rc };
}

/** The loaded kernel module as `/proc/driver/nvidia/version` shows it (also inside a container); undefined if none. */
export const kernelModuleProbe: Probe<KernelModuleVersion | undefined> = {
  command: shellCommand('cat', '/proc/driver/nvidia/version'),
  parse: (r) => (r.rc === 0 ? parseProcDriverVersion(r.stdout) : undefined),
};

/** A node's kernel module version: `/sys/module/nvidia/version`, else the `/proc/driver/nvidia/version` wording. */
export async function probeNodeModuleVersion(conn: Connection): Promise<string | undefined> {
  const r = await conn.run(shellCommand('cat', '/sys/module/nvidia/version', raw('2>/dev/null ||'), 'cat', '/proc/driver/nvidia/version'));
  if (r.rc !== 0) return undefined;
  return parseSysModuleVersion(r.stdout) ?? parseProcDriverVersion(r.stdout)?.version;
}

/** The NVIDIA device nodes present (`ls -l /dev/nvidia* /dev/nvidia-caps/`). */
export async function probeDeviceNodes(conn: Connection): Promise<DeviceNode[]> {
  return deviceNodesProbe.parse(await conn.run(deviceNodesProbe.command));
}

export const deviceNodesProbe: Probe<DeviceNode[]> = {
  command: shellCommand('ls', '-l', raw('/dev/nvidia*'), '/dev/nvidia-caps/', raw('2>/dev/null')),
  parse: (r) => parseDeviceListing(r.stdout),
};

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

/**
 * One line per node: path, uid:gid, r/w letters, open result (tab-separated). One `stat` for all nodes and no other
 * process: `true <node` (a regular builtin: a failed redirection does not end the shell, as it would for `:`) prints
 * the shell's own error message straight into the line, ended by the `echo` after it (the blank line that leaves
 * is skipped). A container's verify asks this of ~10 nodes on every run.
 */
const NODE_ACCESS_SCRIPT = [
  'set -- /dev/nvidia* /dev/nvidia-caps/*',
  'nl="',
  '"; ids="$nl$(stat -L -c "%n %u:%g" -- "$@" 2>/dev/null)$nl"',
  'for p; do',
  'r=-; w=-; [ -r "$p" ] && r=r; [ -w "$p" ] && w=w',
  'case $ids in *"$nl$p "*) u=${ids#*"$nl$p "}; u=${u%%"$nl"*} ;; *) u= ;; esac',
  'printf "%s\\t%s\\t%s%s\\t" "$p" "$u" "$r" "$w"',
  'if { true <"$p"; } 2>&1; then echo ok; else echo; fi',
  'done',
].join('\n');

/**
 * For every /dev/nvidia* and /dev/nvidia-caps/* there is (a glob on the host; what is not a device node drops
 * out), in one command: its numeric owner, whether this user may read and write it, and what opening it does.
 * Opening for reading only: a missing driver answers ENXIO, which says the cgroup let it by. It runs in a subshell
 * of its own (a probe batch's, or the kept shell's `eval`): `set --` and its variables end with it.
 */
export const allNodeAccessProbe: Probe<NodeAccess[]> = {
  command: NODE_ACCESS_SCRIPT,
  parse: parseNodeAccess,
};

function parseNodeAccess(r: CommandResult): NodeAccess[] {
  return r.stdout.split('\n').flatMap((line) => {
    const m = /^(\S+)\t(\d+):(\d+)\t([r-])([w-])\t(.*)$/.exec(line);
    if (!m) return [];
    return [{ path: m[1]!, uid: Number(m[2]), gid: Number(m[3]), read: m[4] === 'r', write: m[5] === 'w', open: m[6]!.trim() }];
  });
}

/**
 * Where `nvcc` is: PATH, then /usr/local/cuda/bin, then the newest /usr/local/cuda-X.Y/bin (listed and sorted only
 * when the first two have none).
 */
const LOCATE_NVCC = 'command -v nvcc || { n=/usr/local/cuda/bin/nvcc; [ -x "$n" ] && { echo "$n"; exit 0; }; ' +
  'for n in $(ls -d /usr/local/cuda-*/bin/nvcc 2>/dev/null | sort -rV); do [ -x "$n" ] && { echo "$n"; exit 0; }; done; exit 1; }';

/** The default CUDA toolkit: its nvcc path and release, or undefined when no nvcc is found. */
export async function probeNvcc(conn: Connection): Promise<(NvccVersion & { path: string }) | undefined> {
  return nvccVersion(conn, nvccLocateProbe.parse(await conn.run(nvccLocateProbe.command)));
}

/** Where nvcc is (undefined: none); its version is a second command, {@link nvccVersion}. */
export const nvccLocateProbe: Probe<string | undefined> = {
  command: LOCATE_NVCC,
  parse: (r) => (r.rc === 0 ? r.stdout.trim().split('\n')[0] || undefined : undefined),
};

/** The release of the nvcc at `path` (`nvcc --version`). */
export async function nvccVersion(conn: Connection, path: string | undefined): Promise<(NvccVersion & { path: string }) | undefined> {
  if (!path) return undefined;
  const r = await conn.run(shellCommand(path, '--version'));
  const version = r.rc === 0 ? parseNvccVersion(r.stdout) : undefined;
  return version ? { ...version, path } : undefined;
}

/** Probes several of verify's checks need, each run at most once per task (the first check to ask runs it). */
export interface SharedProbes {
  nvcc(): Promise<(NvccVersion & { path: string }) | undefined>;
  deviceNodes(): Promise<DeviceNode[]>;
}

/** `prefetched`: what {@link runProbes} already read in one round trip; the rest run when first asked. */
export function sharedProbes(conn: Connection, prefetched: { nvccPath?: Promise<string | undefined>; deviceNodes?: Promise<DeviceNode[]> } = {}): SharedProbes {
  let nvcc = prefetched.nvccPath?.then((path) => nvccVersion(conn, path));
  let nodes = prefetched.deviceNodes;
  return {
    nvcc: () => (nvcc ??= probeNvcc(conn)),
    deviceNodes: () => (nodes ??= probeDeviceNodes(conn)),
  };
}

type Results<P> = { [K in keyof P]: P[K] extends Probe<infer T> ? T : never };

/**
 * Runs several probes in one command (one round trip instead of one each): each in a subshell of its own, its
 * stdout, stderr and exit code kept apart in a private temp dir and printed back between random markers, so each
 * parser sees exactly what its command alone would have given.
 */
export async function runProbes<P extends Record<string, Probe<unknown>>>(conn: Connection, probes: P): Promise<Results<P>> {
  const names = Object.keys(probes);
  const mark = `@@phoenix-probe-${randomBytes(6).toString('hex')}@@`;
  const r = await conn.run(probeBatchScript(names.map((n) => probes[n]!.command), mark));
  if (r.rc !== 0) throw new Error(`${conn.host}: probes failed (exit ${r.rc}): ${r.stderr.trim() || 'no message'}`);
  const outputs = splitBatch(r.stdout, mark, names.length);
  return Object.fromEntries(names.map((n, i) => [n, probes[n]!.parse(outputs[i]!)])) as Results<P>;
}

export function probeBatchScript(commands: string[], mark: string): string {
  return [
    'd=$(mktemp -d) || exit 1',
    `trap 'rm -rf -- "$d"' EXIT`,
    // Builtins only: no process per file printed back.
    `pr() { while IFS= read -r l || [ -n "$l" ]; do printf '%s\\n' "$l"; done <"$1"; }`,
    ...commands.map((c, i) => `( ${c}
) >"$d/${i}" 2>"$d/${i}e" </dev/null; echo $? >"$d/${i}r"`),
    `for i in ${commands.map((_, i) => i).join(' ')}; do read -r rc <"$d/\${i}r"; echo "${mark} $rc"; pr "$d/$i"; echo "${mark}"; pr "$d/\${i}e"; done`,
    'exit 0',
  ].join('\n');
}

/** The marker and commands of a {@link probeBatchScript} (undefined for any other command): for test doubles. */
export function batchCommands(script: string): { mark: string; commands: string[] } | undefined {
  if (!script.startsWith('d=$(mktemp -d) || exit 1\n')) return undefined;
  const mark = /echo "(@@phoenix-probe-[0-9a-f]+@@) \$rc"/.exec(script)?.[1];
  if (!mark) return undefined;
  const commands = [...script.matchAll(/^\( ([\s\S]*?)\n\) >"\$d\/\d+" 2>/gm)].map((m) => m[1]!);
  return { mark, commands };
}

/** What a probe batch prints for these results (the script's own framing), for test doubles. */
export function batchOutput(results: CommandResult[], mark: string): string {
  const lines = (text: string) => (text === '' ? '' : text.endsWith('\n') ? text : `${text}\n`);
  return results.map((r) => `${mark} ${r.rc}\n${lines(r.stdout)}${mark}\n${lines(r.stderr)}`).join('');
}

function splitBatch(stdout: string, mark: string, count: number): CommandResult[] {
  const results: CommandResult[] = [];
  let current: { rc: number; out: string[]; err: string[]; inErr: boolean } | undefined;
  const flush = () => current && results.push({
    rc: current.rc, stdout: current.out.map((l) => `${l}\n`).join(''), stderr: current.err.map((l) => `${l}\n`).join(''),
  });
  for (const line of stdout.replace(/\n$/, '').split('\n')) {
    const head = line.startsWith(`${mark} `) ? Number(line.slice(mark.length + 1)) : undefined;
    if (head !== undefined && Number.isInteger(head)) {
      flush();
      current = { rc: head, out: [], err: [], inErr: false };
    } else if (line === mark && current) current.inErr = true;
    else if (current) (current.inErr ? current.err : current.out).push(line);
  }
  flush();
  if (results.length !== count) throw new Error(`probe batch: ${results.length} of ${count} results came back`);
  return results;
}
