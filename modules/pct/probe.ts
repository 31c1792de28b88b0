import { shellCommand } from '../../interpreter/connection/quote.js';
import type { Connection } from '../../interpreter/connection/types.js';

/** What the node says about one container (`pct status`, `pct config`, `pct listsnapshot`), read in one command. */
export interface ContainerFacts {
  exists: boolean;
  running: boolean;
  /** `pct config` keys of the main section (raw `lxc.*` lines are kept as a list). */
  config: Record<string, string>;
  snapshots: string[];
  template: boolean;
}

const MARK = '@@phoenix-pct@@';

/** One round trip: status, config and snapshots, separated by markers. */
export async function probeContainer(conn: Connection, vmid: number): Promise<ContainerFacts> {
  // Constant shell syntax around quoted parts: status, then config and snapshots only if the container exists.
  const command = `${shellCommand('pct', 'status', vmid)} 2>&1; echo "${MARK}rc=$?"; `
    + `${shellCommand('pct', 'config', vmid)} 2>/dev/null; echo ${MARK}; ${shellCommand('pct', 'listsnapshot', vmid)} 2>/dev/null`;
  const result = await conn.run(command);
  return parseContainerFacts(result.stdout);
}

/** Parses the marked output of {@link probeContainer}. */
export function parseContainerFacts(stdout: string): ContainerFacts {
  const [statusPart, rest = ''] = stdout.split(`${MARK}rc=`);
  const [rcAndConfig, snapshotPart = ''] = rest.split(MARK);
  const newline = rcAndConfig.indexOf('\n');
  const rc = Number(rcAndConfig.slice(0, newline < 0 ? undefined : newline).trim());
  const status = /status:\s*(\w+)/.exec(statusPart)?.[1];
  const exists = rc === 0 && status !== undefined;
  const config = exists ? parseConfig(newline < 0 ? '' : rcAndConfig.slice(newline + 1)) : {};
  return {
    exists,
    running: status === 'running',
    config,
    snapshots: exists ? parseSnapshots(snapshotPart) : [],
    template: config.template === '1',
  };
}

/** `pct config` output: `key: value` lines; the description (`#` lines) and raw `lxc.*` keys are kept too. */
export function parseConfig(text: string): Record<string, string> {
  const config: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z0-9_.-]+):\s?(.*)$/.exec(line);
    if (match && !(match[1] in config)) config[match[1]] = match[2];
  }
  return config;
}

/** `pct listsnapshot`: a tree of `` `-> name  time  description`` rows; `current` is the live state, not a snapshot. */
export function parseSnapshots(text: string): string[] {
  const names: string[] = [];
  for (const line of text.split('\n')) {
    const match = /^\s*`->\s+(\S+)/.exec(line);
    if (match && match[1] !== 'current') names.push(match[1]);
  }
  return names;
}
