import { namesOfMajor, type CharDevice, type NvidiaMajors } from './proc-devices.js';

/** PVE's raw-key syntax: `lxc.key: value` or `lxc.key = value` (pve-container `parse_pct_config`). */
const LXC_LINE = /^(lxc\.[a-z0-9_\-.]+)(?::|\s*=)\s*(.*?)\s*$/;
const ALLOW_KEYS = new Set(['lxc.cgroup2.devices.allow', 'lxc.cgroup.devices.allow']);

/** What the raw style should put in a container's main section. */
export interface RawPassthroughSpec {
  gpus: number[];
  majors: NvidiaMajors;
  includeCaps: boolean;
}

/**
 * The exact lines for `gpus` (domain 1.3): cgroup2 allow rules for 195, the node's uvm major and (with
 * includeCaps) its caps major, then optional bind mounts of each GPU, nvidiactl, nvidia-uvm(-tools) and the caps
 * directory. No GPU = no lines. The majors must be present (the caller fails first when uvm is missing).
 */
export function rawPassthroughLines(spec: RawPassthroughSpec): string[] {
  if (spec.gpus.length === 0) return [];
  const allow = (major: number | undefined): string => `lxc.cgroup2.devices.allow: c ${major}:* rwm`;
  const file = (name: string): string => `lxc.mount.entry: /dev/${name} dev/${name} none bind,optional,create=file`;
  const majors = [spec.majors.nvidia ?? 195, spec.majors.uvm, ...(spec.includeCaps ? [spec.majors.caps] : [])];
  return [
    ...[...new Set(majors)].map(allow),
    ...spec.gpus.map((n) => file(`nvidia${n}`)),
    file('nvidiactl'),
    file('nvidia-uvm'),
    file('nvidia-uvm-tools'),
    ...(spec.includeCaps ? ['lxc.mount.entry: /dev/nvidia-caps dev/nvidia-caps none bind,optional,create=dir'] : []),
  ];
}

/** Index of the first `[section]` header (snapshot, pve:pending), or the line count: the main section ends there. */
export function mainSectionEnd(lines: string[]): number {
  const i = lines.findIndex((l) => /^\[[^\]]+\]\s*$/.test(l));
  return i < 0 ? lines.length : i;
}

/** Value of a plain `key: value` line of the main section (`lock`), undefined when absent. */
export function mainKey(lines: string[], key: string): string | undefined {
  for (const line of lines.slice(0, mainSectionEnd(lines))) {
    const m = /^([a-z0-9_-]+):\s*(.*?)\s*$/.exec(line);
    if (m && m[1] === key) return m[2];
  }
  return undefined;
}

/** A line of the main section the module owns, with why it is the module's. */
export interface OwnedLine {
  index: number;
  text: string;
  why: string;
}

/** Facts the ownership rule needs besides the file: the node's devices and the majors other passthroughs use. */
export interface OwnershipFacts {
  devices: CharDevice[];
  majors: NvidiaMajors;
  /** Majors of this config's non-NVIDIA passthrough sources (mount entries, devN), stat'ed on the node. */
  usedMajors: ReadonlySet<number>;
}

/**
 * The GPU lines of the main section, by this rule:
 * - `lxc.mount.entry` whose source is `/dev/nvidia*` (any GPU, nvidiactl, uvm, modeset, caps);
 * - a `lxc.cgroup2.devices.allow` / `lxc.cgroup.devices.allow` char rule whose major `/proc/devices` names `nvidia*`;
 * - a whole-major rule `c M:* ...` for any other major M, only while the main section is a GPU config (it mounts
 *   `/dev/nvidia*` or allows an NVIDIA major) that lacks the rule for the node's real nvidia-uvm major, and only
 *   when no other passthrough source of the config (non-NVIDIA mount entry or devN) is a device of major M: that
 *   is the stale or wrongly hardcoded uvm major old scripts left (243 = hidraw on the fixture host; a major freed
 *   by a driver update). Once the real uvm rule is in place no such rule is touched, so the result is a fixed
 *   point: rules a GPU-less config had before GPUs were added stay. A single-minor rule is never touched.
 */
export function ownedLines(lines: string[], facts: OwnershipFacts): OwnedLine[] {
  const main = lines.slice(0, mainSectionEnd(lines));
  const gpuConfig = main.some((l) => nvidiaMountSource(l) !== undefined || facts.majors.all.has(allowRule(l)?.major ?? -1));
  const uvmAllowed = main.some((l) => facts.majors.uvm !== undefined && allowRule(l)?.major === facts.majors.uvm);
  const owned: OwnedLine[] = [];
  main.forEach((text, index) => {
    const why = ownership(text, gpuConfig && !uvmAllowed, facts);
    if (why) owned.push({ index, text, why });
  });
  return owned;
}

function ownership(text: string, staleUvmPossible: boolean, facts: OwnershipFacts): string | undefined {
  const source = nvidiaMountSource(text);
  if (source) return `mount entry of ${source}`;
  const rule = allowRule(text);
  if (!rule) return undefined;
  const nvidia = facts.majors.all.get(rule.major);
  if (nvidia) return `major ${rule.major} is ${nvidia.join('/')}`;
  if (!staleUvmPossible || rule.minor !== '*' || facts.usedMajors.has(rule.major)) return undefined;
  const names = namesOfMajor(facts.devices, rule.major);
  const what = names.length ? `is ${names.join('/')}, not an NVIDIA device` : 'is not in /proc/devices';
  return `major ${rule.major} ${what}, and no other device of this config uses it`;
}

/** The `/dev/nvidia*` source of a mount entry line, else undefined. */
export function nvidiaMountSource(text: string): string | undefined {
  const m = LXC_LINE.exec(text);
  if (!m || m[1] !== 'lxc.mount.entry') return undefined;
  const source = m[2]!.split(/\s+/)[0]!;
  return source.startsWith('/dev/nvidia') ? source : undefined;
}

/** A char-device allow rule: `c 238:* rwm` → major 238, minor `*`. */
export function allowRule(text: string): { major: number; minor: string } | undefined {
  const m = LXC_LINE.exec(text);
  if (!m || !ALLOW_KEYS.has(m[1]!)) return undefined;
  const rule = /^c\s+(\d+):(\*|\d+)(?:\s|$)/.exec(m[2]!);
  return rule ? { major: Number(rule[1]), minor: rule[2]! } : undefined;
}

/**
 * Device paths the main section passes through other than NVIDIA's: mount entry sources under /dev and devN
 * paths. Their majors decide whether a non-NVIDIA allow rule is still in use.
 */
export function otherDeviceSources(lines: string[]): string[] {
  const out = new Set<string>();
  for (const line of lines.slice(0, mainSectionEnd(lines))) {
    const m = LXC_LINE.exec(line);
    const mount = m && m[1] === 'lxc.mount.entry' ? m[2]!.split(/\s+/)[0]! : undefined;
    const dev = /^dev\d+:\s*(?:path=)?([^,\s]+)/.exec(line)?.[1];
    const path = mount ?? dev;
    if (path && path.startsWith('/dev/') && !path.startsWith('/dev/nvidia')) out.add(path);
  }
  return [...out];
}

/** True when the owned lines are exactly the wanted ones (same lines, same count; order is free). */
export function sameLines(owned: OwnedLine[], wanted: string[]): boolean {
  const a = owned.map((o) => o.text).sort();
  const b = [...wanted].sort();
  return a.length === b.length && a.every((line, i) => line === b[i]);
}

/**
 * The file with the owned lines replaced by `wanted`, placed where the first owned line was (else after the main
 * section's last non-blank line). Every other byte is kept: comments, order, blank lines, later sections.
 */
export function replaceOwnedLines(text: string, owned: OwnedLine[], wanted: string[]): string {
  const lines = text.split('\n');
  const drop = new Set(owned.map((o) => o.index));
  const out: string[] = [];
  const at = owned.length ? owned[0]!.index : insertionPoint(lines);
  for (let i = 0; i <= lines.length; i++) {
    if (i === at) out.push(...wanted);
    if (i < lines.length && !drop.has(i)) out.push(lines[i]!);
  }
  const appendedAtEnd = at >= lines.length && wanted.length > 0;
  return appendedAtEnd ? `${out.join('\n')}\n` : out.join('\n');
}

/** After the main section's last non-blank line (before the blank line that precedes `[snapshot]`). */
function insertionPoint(lines: string[]): number {
  const end = mainSectionEnd(lines);
  for (let i = end - 1; i >= 0; i--) if (lines[i]!.trim() !== '') return i + 1;
  return 0;
}
