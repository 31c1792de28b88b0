import { posix } from 'node:path';
import type { Connection } from '../../interpreter/connection/types.js';
import { missingDirsScript, parseMissingDirs } from '../common/parents.js';
import { ModuleFailure } from '../types.js';

/** Where nouveau is blacklisted, and what the file must say (domain.md 2.2: pre-blacklist, as the simoncaron role does). */
export const BLACKLIST_FILE = '/etc/modprobe.d/blacklist-nouveau.conf';
export const BLACKLIST_CONTENT = 'blacklist nouveau\noptions nouveau modeset=0\n';
/** Missing on a fresh image without kmod: phoenix creates it (0755 root:root) before writing the blacklist. */
export const BLACKLIST_DIR = posix.dirname(BLACKLIST_FILE);

/**
 * One read-only command: running kernel, state of each build dependency, whether nouveau is loaded. One dpkg-query
 * for all packages and one apt-cache call for the missing ones: each apt-cache start reloads the package cache
 * (about 0.6 s per call measured on the lab node), so asking per package made every no-op run seconds slower.
 * Without `packages` (install_build_deps: false) apt is not asked at all. Also which of /etc/modprobe.d and its
 * parents are missing (test builtins only), so writing the blacklist never needs another probe.
 */
export function prereqsCommand(packages = true): string {
  const probe = String.raw`set -- "proxmox-headers-$k" "pve-headers-$k" dkms build-essential
inst=$(dpkg-query -W -f='@{Package} @{Status}\n' "$@" 2>/dev/null | awk '$4=="installed"{print $1}')
missing=""
for p in "$@"; do if printf '%s\n' "$inst" | grep -qxF "$p"; then echo "installed $p"; else missing="$missing $p"; fi; done
if [ -n "$missing" ]; then
  avail=$(apt-cache show $missing 2>/dev/null | sed -n 's/^Package: //p')
  for p in $missing; do if printf '%s\n' "$avail" | grep -qxF "$p"; then echo "available $p"; else echo "unknown $p"; fi; done
fi`.replace(/@{/g, "$" + "{");
  return [
    'k=$(uname -r); echo "kernel $k"',
    ...(packages ? [probe] : []),
    'if test -d /sys/module/nouveau; then echo nouveau loaded; else echo nouveau absent; fi',
    missingDirsScript('blacklist', BLACKLIST_DIR),
  ].join('\n');
}

/** The full probe (kept for fixtures and tools that show what phoenix asks). */
export const PREREQS_COMMAND = prereqsCommand(true);

export interface Prereqs {
  kernel: string;
  packages: Record<string, 'installed' | 'available' | 'unknown'>;
  nouveauLoaded: boolean;
  /** The directories to create before the blacklist is written, outermost first (usually none). */
  blacklistDirs: string[];
}

export function parsePrereqs(stdout: string): Prereqs {
  const kernel = /^kernel (\S+)$/m.exec(stdout)?.[1] ?? '';
  const packages: Prereqs['packages'] = {};
  for (const m of stdout.matchAll(/^(installed|available|unknown) (\S+)$/gm)) packages[m[2]!] = m[1] as 'installed';
  return { kernel, packages, nouveauLoaded: /^nouveau loaded$/m.test(stdout), blacklistDirs: parseMissingDirs(stdout, 'blacklist', BLACKLIST_DIR) };
}

export async function probePrereqs(conn: Connection, packages = true): Promise<Prereqs> {
  const r = await conn.run(prereqsCommand(packages));
  if (r.rc !== 0) throw new ModuleFailure(`cannot read the build dependencies on ${conn.host}: ${r.stderr.trim() || `rc ${r.rc}`}`);
  return parsePrereqs(r.stdout);
}

/**
 * The packages to install: kernel headers for the running kernel (`proxmox-headers-*`, or the older `pve-headers-*`,
 * whichever apt knows; either one installed is enough), `dkms` and `build-essential` (domain.md 2.5).
 */
export function missingBuildDeps(p: Prereqs, host: string): string[] {
  const headers = [`proxmox-headers-${p.kernel}`, `pve-headers-${p.kernel}`];
  const missing: string[] = [];
  if (!headers.some((h) => p.packages[h] === 'installed')) {
    const available = headers.find((h) => p.packages[h] === 'available');
    if (!available) {
      throw new ModuleFailure(`neither ${headers.join(' nor ')} is known to apt on ${host}: run apt-get update, boot a ` +
        'Proxmox kernel, or set install_build_deps: false when the headers come from elsewhere');
    }
    missing.push(available);
  }
  for (const name of ['dkms', 'build-essential']) if (p.packages[name] !== 'installed') missing.push(name);
  return missing;
}
