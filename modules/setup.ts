import { ModuleFailure, type Module } from './types.js';

/** Arguments of `setup` (Ansible's names; phoenix gathers one subset, so both are accepted and only checked). */
export interface SetupArgs {
  gather_subset?: string[];
  gather_timeout?: number;
}

/**
 * One command for every fact: os-release, Debian's version file, uname, the host name. Sections are separated by
 * lines that cannot occur in those files.
 */
const PROBE = [
  'cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null',
  "echo '@@phoenix@@debian_version'", 'cat /etc/debian_version 2>/dev/null',
  "echo '@@phoenix@@uname'", 'uname -r; uname -m',
  "echo '@@phoenix@@hostname'", 'uname -n',
].join('; ');

/** Ansible's spelling of distributions it names differently from os-release's ID (distribution.py's OS_RELEASE_ALIAS). */
const DISTRIBUTION_NAMES: Record<string, string> = {
  debian: 'Debian', ubuntu: 'Ubuntu', centos: 'CentOS', rhel: 'RedHat', fedora: 'Fedora', rocky: 'Rocky',
  almalinux: 'AlmaLinux', opensuse: 'openSUSE', sles: 'SLES', arch: 'Archlinux', alpine: 'Alpine',
};
/** os_family by distribution, as Ansible's OS_FAMILY_MAP groups them. */
const OS_FAMILIES: Record<string, string> = {
  Debian: 'Debian', Ubuntu: 'Debian', RedHat: 'RedHat', CentOS: 'RedHat', Fedora: 'RedHat', Rocky: 'RedHat',
  AlmaLinux: 'RedHat', openSUSE: 'Suse', SLES: 'Suse', Archlinux: 'Archlinux', Alpine: 'Alpine',
};

/** Parses os-release (`KEY=value`, values optionally quoted, shell escapes inside double quotes). */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let value = m[2]!;
    if (/^"(.*)"$/.test(value)) value = value.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
    else if (/^'(.*)'$/.test(value)) value = value.slice(1, -1);
    out[m[1]!] = value;
  }
  return out;
}

/**
 * The facts, named as Ansible names them (without the `ansible_` prefix), from the probe's output. Debian's
 * distribution_version is its point release (`/etc/debian_version`, e.g. 12.8; 13.2), as Ansible reports it.
 */
export function factsFromProbe(output: string): Record<string, string> {
  const [osText = '', ...rest] = output.split('@@phoenix@@');
  const section = (name: string): string[] =>
    (rest.find((s) => s.startsWith(`${name}\n`)) ?? '').split('\n').slice(1).map((l) => l.trim()).filter(Boolean);
  const os = parseOsRelease(osText);
  if (!os.ID) throw new ModuleFailure('setup: the host has no /etc/os-release (or it names no ID)');
  const id = os.ID.toLowerCase();
  const distribution = DISTRIBUTION_NAMES[id] ?? os.NAME ?? id;
  const debianVersion = section('debian_version')[0];
  const version = id === 'debian' && debianVersion && /^\d+(\.\d+)*$/.test(debianVersion) ? debianVersion : (os.VERSION_ID ?? '');
  const [kernel = '', architecture = ''] = section('uname');
  const nodename = section('hostname')[0] ?? '';
  const family = OS_FAMILIES[distribution]
    ?? (os.ID_LIKE?.split(/\s+/).map((like) => OS_FAMILIES[DISTRIBUTION_NAMES[like] ?? '']).find(Boolean)) ?? distribution;
  return {
    distribution,
    distribution_release: os.VERSION_CODENAME ?? os.UBUNTU_CODENAME ?? '',
    distribution_version: version,
    distribution_major_version: (version || os.VERSION_ID || '').split('.')[0] ?? '',
    os_family: family,
    system: 'Linux',
    kernel,
    architecture,
    nodename,
    hostname: nodename.split('.')[0] ?? '',
    pkg_mgr: family === 'Debian' ? 'apt' : 'unknown',
  };
}

/**
 * Ansible's `setup` (what `gather_facts: true` runs first in a play): the distribution facts a playbook branches on
 * (`ansible_distribution`, `_release`, `_version`, `_major_version`, `ansible_os_family`), kernel, architecture and
 * host name, from one read-only command. Set as host variables with the `ansible_` prefix (and under
 * `ansible_facts` without it, as Ansible does). Never changed.
 */
export const setup: Module<SetupArgs> = {
  name: 'setup',
  schema: {
    type: 'object',
    properties: {
      gather_subset: { type: 'array', items: { type: 'string' } },
      gather_timeout: { type: 'integer', minimum: 1 },
    },
    additionalProperties: false,
  },
  async plan(ctx) {
    const r = await ctx.conn.run(PROBE);
    if (!r.stdout.trim()) throw new ModuleFailure(`setup: reading /etc/os-release failed (rc ${r.rc}): ${r.stderr.trim()}`);
    const plain = factsFromProbe(r.stdout);
    const facts: Record<string, unknown> = Object.fromEntries(Object.entries(plain).map(([k, v]) => [`ansible_${k}`, v]));
    facts.ansible_facts = plain;
    const release = plain.distribution_release ? ` (${plain.distribution_release})` : '';
    return { changes: [], reason: `${plain.distribution} ${plain.distribution_version}${release}, kernel ${plain.kernel}`, facts };
  },
  async apply() {
    return {};
  },
};
