/**
 * Check mode's memory of one run: what earlier tasks planned but did not do, so that later tasks predict what the
 * real run will find instead of reading the unchanged host.
 *
 * Two halves:
 * - a store modules read and write through `ModuleContext.planned` (a container `pct` would create or start, a
 *   container config `lxc_conf` would edit, the driver `nvidia_run` would install on a node), keyed by what the
 *   module owns (`<node>/<vmid>`, `<node>:<path>`);
 * - the outcomes of tasks inside containers, so that a container cloned in this run from a template's snapshot is
 *   predicted from what its parent has (or would have) at the moment the snapshot is taken.
 *
 * Exists only in check mode; a real run never consults it.
 */
import type { TaskStatus } from '../result.js';

/** A task's outcome on one host, by {@link outcomeKey}. */
type Outcomes = Map<string, TaskStatus>;

export class PlannedState {
  private readonly values = new Map<string, unknown>();
  private readonly outcomes = new Map<string, Outcomes>();
  private readonly snapshots = new Map<string, Outcomes>();

  /** What a module planned for `key` in the namespace `kind` (`container`, `lxc-conf`, `driver`, ...). */
  get<T>(kind: string, key: string): T | undefined {
    return this.values.get(`${kind}\0${key}`) as T | undefined;
  }

  set(kind: string, key: string, value: unknown): void {
    this.values.set(`${kind}\0${key}`, value);
  }

  /** Records a task's predicted outcome on a host. */
  recordOutcome(host: string, key: string, status: TaskStatus): void {
    let outcomes = this.outcomes.get(host);
    if (!outcomes) this.outcomes.set(host, (outcomes = new Map()));
    outcomes.set(key, status);
  }

  /** How many tasks of this run are predicted to change `host` so far. */
  changesOn(host: string): number {
    return [...(this.outcomes.get(host)?.values() ?? [])].filter((status) => status === 'changed').length;
  }

  /**
   * A snapshot of `host` named `name`: taken in this run (`takenNow`), it holds every task the host has done so
   * far, changed or not; one that exists already holds only what was already in place (the tasks that were ok).
   */
  recordSnapshot(host: string, name: string, takenNow: boolean): void {
    const done = [...(this.outcomes.get(host) ?? new Map<string, TaskStatus>())]
      .filter(([, status]) => status === 'ok' || (takenNow && status === 'changed'));
    this.snapshots.set(`${host}\0${name}`, new Map(done));
  }

  /** What a snapshot recorded by {@link recordSnapshot} holds; undefined when this run did not see it. */
  snapshot(host: string, name: string): ReadonlyMap<string, TaskStatus> | undefined {
    return this.snapshots.get(`${host}\0${name}`);
  }
}

/** The identity of a task run for prediction: where it is written, with the arguments it was rendered with. */
export function outcomeKey(position: { file: string; line: number; column: number }, args: unknown): string {
  return `${position.file}:${position.line}:${position.column}\0${JSON.stringify(args) ?? ''}`;
}

/** The store key of a container: the node's inventory name and the vmid. */
export function containerKey(node: string, vmid: number | string): string {
  return `${node}/${vmid}`;
}
