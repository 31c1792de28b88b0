import { raw, shellCommand } from '../../interpreter/connection/quote.js';
import type { Connection } from '../../interpreter/connection/types.js';

/** What the node says about one container: its config file and whether LXC runs it, read in one command. */
export interface ContainerFacts {
  exists: boolean;
  running: boolean;
  /** The keys `pct config` shows: the main section with pending changes applied (raw `lxc.*` lines too). */
  config: Record<string, string>;
  snapshots: string[];
  template: boolean;
}

const MARK = '@@phoenix-pct@@';

/** LXC's state of the container, `RUNNING` or `STOPPED` (it asks the container's monitor, as `pct status` does). */
function lxcState(vmid: number): string {
  return shellCommand('lxc-info', '-n', String(vmid), '-sH');
}

/** Where Proxmox keeps a container's config (pmxcfs; /etc/pve/lxc is this node's nodes/<node>/lxc). */
export function confPath(vmid: number | string): string {
  return `/etc/pve/lxc/${vmid}.conf`;
}

/**
 * One round trip and no `pct` (each `pct status`/`config`/`listsnapshot` is a Perl start on a real node, the
 * costliest part of a no-op run): the config file `pct config` and `pct listsnapshot` read, and LXC's own state of
 * the container (`lxc-info -s`, which asks the running container's monitor, the socket `pct status` looks for).
 */
export async function probeContainer(conn: Connection, vmid: number): Promise<ContainerFacts> {
  const conf = confPath(vmid);
  const command = [
    shellCommand(raw('if [ -f'), conf, raw(']; then')),
    `  s=$(${lxcState(vmid)} 2>/dev/null); echo "${MARK}state \${s:-UNKNOWN}"`,
    `  ${shellCommand('cat', '--', conf)}`,
    `else echo ${MARK}absent; fi`,
  ].join('\n');
  const result = await conn.run(command);
  return parseContainerFacts(result.stdout);
}

/** Parses the output of {@link probeContainer}: a state line, then the config file. */
export function parseContainerFacts(stdout: string): ContainerFacts {
  const state = new RegExp(`^${MARK}state (\\S+)$`, 'm').exec(stdout);
  if (!state) return { exists: false, running: false, config: {}, snapshots: [], template: false };
  const conf = parseConf(stdout.slice(state.index + state[0].length + 1));
  return {
    exists: true,
    running: state[1] === 'RUNNING',
    config: conf.config,
    snapshots: conf.snapshots,
    template: conf.config.template === '1',
  };
}

/** A Proxmox container config file (pve-container `parse_pct_config`; domain 1.5), as `pct config` shows it. */
export interface ParsedConf {
  /** Main section keys with `[pve:pending]` applied; the `#` lines as `description`; raw `lxc.*` keys (first kept). */
  config: Record<string, string>;
  /** Snapshot sections, in file order. */
  snapshots: string[];
}

export function parseConf(text: string): ParsedConf {
  const sections = new Map<string, string[]>([['', []]]);
  let current = '';
  for (const line of text.split('\n')) {
    const header = /^\[([^\]]+)\]\s*$/.exec(line);
    if (header) {
      current = header[1];
      sections.set(current, []);
    } else sections.get(current)!.push(line);
  }
  const config = sectionKeys(sections.get('')!);
  const pending = sectionKeys(sections.get('pve:pending') ?? []);
  for (const key of (pending.delete ?? '').split(/[,;\s]+/).filter(Boolean)) delete config[key.replace(/^!/, '')];
  delete pending.delete;
  Object.assign(config, pending);
  return { config, snapshots: [...sections.keys()].filter((name) => name !== '' && name !== 'pve:pending') };
}

/** `key: value` lines (raw keys also `lxc.key = value`); `#` lines are the description, %XX-encoded by PVE. */
function sectionKeys(lines: string[]): Record<string, string> {
  const config: Record<string, string> = {};
  const description: string[] = [];
  for (const line of lines) {
    if (line.startsWith('#')) {
      description.push(decodeText(line.slice(1)));
      continue;
    }
    const match = /^(lxc\.[A-Za-z0-9_.-]+)\s*[:=]\s*(.*)$/.exec(line) ?? /^([A-Za-z0-9_-]+):\s?(.*)$/.exec(line);
    if (match && !(match[1] in config)) config[match[1]] = match[2];
  }
  if (description.length > 0) config.description = description.join('\n');
  return config;
}

/** PVE's decode_text: `%XX` to the byte it stands for. */
function decodeText(text: string): string {
  try {
    return decodeURIComponent(text.replace(/%(?![0-9a-fA-F]{2})/g, '%25'));
  } catch {
    return text;
  }
}

/** The config as `pct config` prints it: sorted `key: value` lines, then the raw `lxc.*` keys. */
export function configText(config: Record<string, string>): string {
  const keys = Object.keys(config).sort();
  const lines = [...keys.filter((k) => !k.startsWith('lxc.')), ...keys.filter((k) => k.startsWith('lxc.'))]
    .map((k) => `${k}: ${k === 'description' ? config[k].replace(/\n/g, '%0A') : config[k]}`);
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** Whether LXC runs the container now (what `pct status` says as `status: running`), without a `pct` start. */
export async function containerRunning(conn: Connection, vmid: number): Promise<boolean> {
  const result = await conn.run(lxcState(vmid));
  return result.rc === 0 && result.stdout.trim() === 'RUNNING';
}
