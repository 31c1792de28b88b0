import type { HostResult } from '../result.js';

/** Ansible's own words for a result hidden by `no_log`, so people and scripts recognise it. */
export const CENSORED_MESSAGE =
  "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

/** Ansible's loop label for an item whose result is hidden. */
export const CENSORED_LABEL = '(censored due to no_log)';

/**
 * All a reporter may show of a censored result. The engine censors before emitting; reporters call this as a second
 * line of defence and never read `data`, `msg`, `reason` or `diff` of a result with `censored: true`.
 */
export function censoredView(result: HostResult): { censored: string; changed: boolean } {
  return { censored: CENSORED_MESSAGE, changed: result.changed };
}
