import type { Connection } from '../../interpreter/connection/types.js';
import {
  parseNvidiaInstallerVersion, parseNvidiaSmiVersion, parseProcDriverVersion, type KernelModuleVersion,
} from '../nvidia/versions.js';
import { ModuleFailure } from '../types.js';

/** What is installed on one host (node or container), from one read-only command. */
export interface InstalledDriver {
  /** The loaded kernel module (`/proc/driver/nvidia/version`; in a container it is the node's). */
  kernel?: KernelModuleVersion;
  /** The user space version: `nvidia-installer --version`, else `libnvidia-ml.so.<ver>`, else `nvidia-smi --version`. */
  userSpace?: string;
  /** Which probe gave `userSpace`. */
  userSpaceFrom?: 'nvidia-installer' | 'libnvidia-ml' | 'nvidia-smi';
  /** Every `libnvidia-ml.so.<ver>` in the multiarch dir (more than one = leftovers of another install). */
  libraries: string[];
  /** `modprobe` exists (the installer needs kmod even with --no-kernel-module). */
  modprobe: boolean;
}

const LIBDIR = '/usr/lib/x86_64-linux-gnu';

/**
 * Sections marked by `@name` lines; each tool's stderr is dropped (a missing tool is an empty section). nvidia-smi
 * (which starts NVML, the slowest of these) runs only when neither nvidia-installer nor a single libnvidia-ml says
 * the version: what parseDetect would take it for.
 */
export const DETECT_COMMAND = [
  `echo @proc; { while IFS= read -r pl || [ -n "$pl" ]; do printf '%s\\n' "$pl"; done </proc/driver/nvidia/version; } 2>/dev/null`,
  'echo @installer; iv=; if command -v nvidia-installer >/dev/null 2>&1; then iv=$(nvidia-installer --version 2>/dev/null); printf \'%s\\n\' "$iv"; fi',
  // libnvidia-ml.so.<3+ digits>.<digits>[.<digits>], by the shell's own glob and case (no ls, no grep).
  `echo @lib; l=; for f in ${LIBDIR}/libnvidia-ml.so.[0-9][0-9][0-9]*; do [ -e "$f" ] || [ -L "$f" ] || continue; ` +
    'f=${f##*/}; v=${f#libnvidia-ml.so.}; case $v in *[!0-9.]*|.*|*.|*..*|*.*.*.*) continue ;; esac; ' +
    'case $v in [0-9][0-9][0-9]*.*) ;; *) continue ;; esac; l="$l $f"; printf \'%s\\n\' "$f"; done',
  'echo @smi; set -- $l; case $iv in *"nvidia-installer:"*version*) ;; *) [ $# -eq 1 ] || ' +
    '{ if command -v nvidia-smi >/dev/null 2>&1; then nvidia-smi --version 2>/dev/null; fi; } ;; esac',
  'echo @modprobe; command -v modprobe 2>/dev/null || { test -x /sbin/modprobe && echo /sbin/modprobe; }',
  'exit 0',
].join('\n');

function sections(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  let name = '';
  for (const line of stdout.split('\n')) {
    const m = /^@(\w+)$/.exec(line);
    if (m) name = m[1]!;
    else if (name) out[name] = (out[name] ?? '') + line + '\n';
  }
  return out;
}

/** Parses the output of {@link DETECT_COMMAND}. */
export function parseDetect(stdout: string): InstalledDriver {
  const s = sections(stdout);
  const kernel = parseProcDriverVersion(s.proc ?? '');
  const libraries = (s.lib ?? '').split('\n').map((l) => /^libnvidia-ml\.so\.(\d{3,}\.\d+(?:\.\d+)?)$/.exec(l.trim())?.[1])
    .filter((v): v is string => !!v);
  const installer = parseNvidiaInstallerVersion(s.installer ?? '');
  const smi = parseNvidiaSmiVersion(s.smi ?? '')?.smi;
  const out: InstalledDriver = { libraries, modprobe: (s.modprobe ?? '').trim() !== '' };
  if (kernel) out.kernel = kernel;
  const [userSpace, from] = installer ? [installer, 'nvidia-installer' as const]
    : libraries.length === 1 ? [libraries[0], 'libnvidia-ml' as const]
      : smi ? [smi, 'nvidia-smi' as const] : [undefined, undefined];
  if (userSpace && from) Object.assign(out, { userSpace, userSpaceFrom: from });
  return out;
}

/** Detects the installed driver on `conn`. */
export async function detectDriver(conn: Connection): Promise<InstalledDriver> {
  const r = await conn.run(DETECT_COMMAND);
  if (r.rc !== 0) throw new ModuleFailure(`cannot detect the NVIDIA driver on ${conn.host}: ${r.stderr.trim() || `rc ${r.rc}`}`);
  return parseDetect(r.stdout);
}

/** Only the loaded kernel module (the node's, read by container mode). */
export async function loadedModule(conn: Connection): Promise<KernelModuleVersion | undefined> {
  const r = await conn.run('cat /proc/driver/nvidia/version 2>/dev/null; exit 0');
  return parseProcDriverVersion(r.stdout);
}
