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
  /**
   * Answers the run's tasks share until the next change (ModuleContext.whileUnchanged): the table is replaced,
   * never edited, when any task starts or ends applying (see {@link noteApply}). Absent: nothing is kept.
   */
  unchanged?: { answers: Map<string, Promise<unknown>> };
}

/**
 * A module's apply starts or ends (whatever it reports afterwards: a command changes what it does not say): answers
 * read before are not reused. Called at both ends, so an answer read while the apply ran is dropped too.
 */
export function noteApply(services: RunServices): void {
  if (services.unchanged) services.unchanged.answers = new Map();
}
