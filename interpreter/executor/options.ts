import type { Connection } from '../connection/types.js';
import type { EventSink } from '../events.js';

/** What the command line decided for one run. */
export interface RunOptions {
  check: boolean;
  diff: boolean;
  extraVars: Record<string, unknown>;
  onlyTags: string[];
  skipTags: string[];
  /** Hosts allowed by --limit (already resolved), or undefined for no limit. */
  limit?: Set<string>;
  forks: number;
  startAtTask?: string;
  verbosity: number;
}

/** How the executor sees the inventory (kept narrow so tests and the JSON config can supply their own). */
export interface InventoryView {
  /** Hosts matching a pattern, in inventory order. */
  select(pattern: string): string[];
  /** Inventory variables of a host (group and host vars merged by precedence). */
  vars(host: string): Record<string, unknown>;
  /** inventory_hostname, group_names, groups... */
  magic(host: string): Record<string, unknown>;
}

export interface RunServices {
  inventory: InventoryView;
  /** The one connection of a host for the whole run. */
  connect(host: string): Promise<Connection>;
  emit: EventSink;
  /** Set when the user interrupts: the executor stops starting tasks. */
  signal?: AbortSignal;
  /** Secret values of the run (vars/secrets.ts): files holding one are created 0600. */
  secrets?: string[];
  /** Answers every host of the run shares (ModuleContext.oncePerRun); absent: each host works its own out. */
  shared?: Map<string, Promise<unknown>>;
}
