/**
 * A filter, test or method of the condition language. The parser checks names and argument counts against these
 * tables so a typo fails when the playbook is loaded, not halfway through a run.
 */
export interface Callable {
  /** Fewest and most positional arguments after the subject. */
  min: number;
  max: number;
  /** Keyword arguments it accepts (`sort(reverse=true)`). */
  kwargs?: readonly string[];
  /** True when it receives an {@link Undefined} subject instead of failing on it (`default`, `is defined`). */
  acceptsUndefined?: boolean;
  run(subject: unknown, args: unknown[], kwargs: Record<string, unknown>): unknown;
}

/** A table of callables by name; lookups are own properties only so `constructor` is never a filter. */
export type CallableTable = Readonly<Record<string, Callable>>;

/** The callable called `name`, or undefined: never something inherited from Object.prototype. */
export function findCallable(table: CallableTable, name: string): Callable | undefined {
  return Object.prototype.hasOwnProperty.call(table, name) ? table[name] : undefined;
}
