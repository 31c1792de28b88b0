import type { TaskInfo } from '../events.js';
import type { HostResult } from '../result.js';
import { CENSORED_LABEL, censoredView } from './censor.js';
import { renderDiffs } from './diff.js';
import { dumpJson } from './dump.js';
import type { Palette } from './palette.js';

/** What decides how much of a result is shown. */
export interface LineOptions {
  verbosity: number;
  diff: boolean;
  palette: Palette;
}

type Shown = Record<string, unknown>;

const DEBUG_MODULES = new Set(['debug', 'ansible.builtin.debug']);
/** Keys `register` adds that debug output leaves out, as Ansible's `_clean_results` does. */
const DEBUG_HIDDEN = new Set(['changed', 'failed', 'skipped']);

/**
 * The lines for one task's result on one host (`ok: [h] reason`, `fatal: [h]: FAILED! => {...}`, `...ignoring`),
 * preceded by its diffs when `--diff` is on. For a loop only the aggregate's own lines: the caller prints the items.
 */
export function resultLines(task: TaskInfo, label: string, result: HostResult, options: LineOptions): string[] {
  const p = options.palette;
  const loop = (result.items?.length ?? 0) > 0;
  const lines: string[] = [];
  if (result.status === 'unreachable') {
    lines.push(p.unreachable(`fatal: [${label}]: UNREACHABLE! => ${dump(unreachableView(result), options)}`));
  } else if (result.status === 'failed' || result.ignored) {
    if (!loop) lines.push(p.failed(`fatal: [${label}]: FAILED! => ${dump(failedView(result), options)}`));
  } else if (result.status === 'skipped') {
    const why = loop ? { msg: result.msg } : { skip_reason: result.msg };
    const view = result.censored ? censoredView(result) : { ...result.data, changed: false, ...why };
    lines.push(p.skipped(`skipping: [${label}]${verbose(view, options)}`));
  } else if (loop) {
    for (const item of result.items ?? []) lines.push(...diffLines(item, options));
  } else {
    lines.push(...diffLines(result, options), successLine(task, `[${label}]`, result, options));
  }
  if (result.ignored) lines.push(p.skipped('...ignoring'));
  return lines;
}

/** The line for one loop item: `ok: [h] => (item=label)`, `failed: [h] (item=label) => {...}`, ... */
export function itemLines(task: TaskInfo, label: string, item: HostResult, itemLabel: string, options: LineOptions): string[] {
  const p = options.palette;
  const shownLabel = item.censored ? CENSORED_LABEL : itemLabel;
  if (item.status === 'failed' || item.status === 'unreachable' || item.ignored) {
    return [p.failed(`failed: [${label}] (item=${shownLabel}) => ${dump(failedView(item), options)}`)];
  }
  if (item.status === 'skipped') {
    const view = item.censored ? censoredView(item) : { ...item.data, changed: false, skip_reason: item.msg };
    // The space before the verbose part is Ansible's: its format string ends with a space.
    return [p.skipped(`skipping: [${label}] => (item=${shownLabel}) ${verbose(view, options)}`)];
  }
  return [successLine(task, `[${label}] => (item=${shownLabel})`, item, options)];
}

function successLine(task: TaskInfo, head: string, result: HostResult, options: LineOptions): string {
  const paint = result.changed ? options.palette.changed : options.palette.ok;
  const reason = !result.censored && result.reason ? ` ${result.reason}` : '';
  const word = result.changed ? 'changed' : 'ok';
  if (DEBUG_MODULES.has(task.module)) {
    // Ansible always shows debug output, indented, whatever the verbosity; the output is its own reason.
    return paint(`${word}: ${head} => ${dumpJson(debugView(result), 4)}`);
  }
  const view = result.censored ? censoredView(result) : { ...result.data, changed: result.changed, msg: result.msg };
  return paint(`${word}: ${head}${reason}${verbose(view, options)}`);
}

function diffLines(result: HostResult, options: LineOptions): string[] {
  if (!options.diff || result.censored || !result.changed || !result.diff) return [];
  return renderDiffs(result.diff, options.palette);
}

function failedView(result: HostResult): Shown {
  return result.censored ? censoredView(result) : { ...result.data, changed: result.changed, msg: result.msg };
}

function unreachableView(result: HostResult): Shown {
  return result.censored ? censoredView(result) : { ...result.data, changed: false, msg: result.msg, unreachable: true };
}

function debugView(result: HostResult): Shown {
  if (result.censored) return censoredView(result);
  const shown = Object.fromEntries(
    Object.entries(result.data).filter(([key]) => !DEBUG_HIDDEN.has(key) && !key.startsWith('_')),
  );
  return Object.keys(shown).length > 0 || result.msg === undefined ? shown : { msg: result.msg };
}

/** ` => {...}` from `-v` on, indented from `-vvv` on, as Ansible's `_dump_results`. */
function verbose(view: Shown, options: LineOptions): string {
  return options.verbosity > 0 ? ` => ${dump(view, options)}` : '';
}

function dump(view: Shown, options: LineOptions): string {
  return dumpJson(view, options.verbosity > 2 ? 4 : undefined);
}
