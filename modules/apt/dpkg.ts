/** Parsers for what dpkg-query, apt-cache policy and `apt-get install -s` print (in the C locale). */

/** One package as `dpkg-query -W -f='${Package}\t${Status}\t${Version}\n'` lists it. */
export interface DpkgState {
  name: string;
  /** The three status words: want, error flag, state (`install ok installed`, `deinstall ok config-files`). */
  status: string;
  version: string;
  /** Fully installed (state `installed`); half-installed, unpacked and config-files are not. */
  installed: boolean;
  /** Anything left on the host (files or configuration): removal has work to do. */
  present: boolean;
}

/** Parses dpkg-query lines; a package listed for several architectures counts as installed if any one is. */
export function parseDpkgQuery(stdout: string): Map<string, DpkgState> {
  const out = new Map<string, DpkgState>();
  for (const line of stdout.split('\n')) {
    const [name, status, version] = line.split('\t');
    if (!name || status === undefined) continue;
    const state = status.trim().split(/\s+/)[2] ?? '';
    const entry = { name, status: status.trim(), version: version ?? '', installed: state === 'installed', present: state !== 'not-installed' && state !== '' };
    const previous = out.get(name);
    if (!previous || (!previous.installed && entry.installed)) out.set(name, entry);
  }
  return out;
}

/** Parses dpkg's database (`/var/lib/dpkg/status`: stanzas of `Package:`, `Status:`, `Version:`) like dpkg-query's lines. */
export function parseDpkgStatusFile(text: string): Map<string, DpkgState> {
  const lines = text.split(/\n\s*\n/).map((stanza) => {
    const field = (name: string) => new RegExp(`^${name}: *(.*)$`, 'm').exec(stanza)?.[1]?.trim() ?? '';
    return `${field('Package')}\t${field('Status')}\t${field('Version')}`;
  });
  return parseDpkgQuery(lines.filter((l) => !l.startsWith('\t')).join('\n'));
}

/** Installed and candidate versions from `apt-cache policy`; `(none)` is null. */
export interface PolicyState {
  installed: string | null;
  candidate: string | null;
}

export function parseAptPolicy(stdout: string): Map<string, PolicyState> {
  const out = new Map<string, PolicyState>();
  let current: PolicyState | undefined;
  for (const line of stdout.split('\n')) {
    const head = /^(\S+):$/.exec(line);
    if (head) {
      out.set(head[1], (current = { installed: null, candidate: null }));
      continue;
    }
    const field = /^\s+(Installed|Candidate):\s*(\S+)/.exec(line);
    if (!field || !current) continue;
    const value = field[2] === '(none)' ? null : field[2];
    if (field[1] === 'Installed') current.installed = value;
    else current.candidate = value;
  }
  return out;
}

/** One `Inst` line of a simulated install: `Inst name [old] (version release [arch])`. */
export interface SimulatedInstall {
  name: string;
  version: string;
  /** The installed version an upgrade replaces. */
  replaces?: string;
}

export function parseSimulation(stdout: string): SimulatedInstall[] {
  const out: SimulatedInstall[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^Inst (\S+)(?: \[([^\]]+)\])? \((\S+)/.exec(line);
    if (m) out.push({ name: m[1], version: m[3], ...(m[2] ? { replaces: m[2] } : {}) });
  }
  return out;
}
