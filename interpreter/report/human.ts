import { basename } from 'node:path';
import type { EventSink, RunEvent, TaskInfo } from '../events.js';
import { banner, warningText } from './banner.js';
import { formatError } from './errors.js';
import { createPalette, type Palette } from './palette.js';
import { progressLine } from './progress.js';
import { recapLines } from './recap.js';
import { itemLines, resultLines } from './result-lines.js';

/** Where the human reporter writes: `process.stdout` fits. */
export interface HumanOutput {
  write(s: string): void;
  isTTY?: boolean;
  /** Terminal width, to keep the progress line on one row. */
  columns?: number;
}

export interface HumanOptions {
  /** Number of `-v`. */
  verbosity: number;
  /** `--diff`: print each result's file diffs. */
  diff: boolean;
  /** Colour on or off; by default on exactly when `out` is a TTY. */
  color?: boolean;
  /** Source text for error excerpts (see {@link formatError}). */
  readSource?: (file: string) => string | undefined;
}

/**
 * A reporter printing what `ansible-playbook`'s default callback prints for the same run, plus phoenix's reasons
 * after `ok:`/`changed:`. Returns the event sink to hand to the engine.
 */
export function createHumanReporter(out: HumanOutput, options: HumanOptions): EventSink {
  const tty = out.isTTY === true;
  const color = options.color ?? tty;
  const palette = createPalette(color);
  const lineOptions = { verbosity: options.verbosity, diff: options.diff, palette };
  const warned = new Set<string>();
  let itemsShown = new Set<string>();
  let progressShown = false;

  const print = (lines: string[]): void => {
    if (lines.length === 0) return;
    if (progressShown) out.write('\r\x1b[K');
    progressShown = false;
    out.write(lines.map((line) => `${line}\n`).join(''));
  };

  const lines = (event: RunEvent): string[] => {
    switch (event.type) {
      case 'playbook_start':
        return options.verbosity > 1 ? [banner(`PLAYBOOK: ${basename(event.file)}`)] : [];
      case 'play_start':
        return [banner(event.name.trim() ? `PLAY [${event.name.trim()}]` : 'PLAY')];
      case 'no_hosts':
        return [palette.skipped('skipping: no hosts matched')];
      case 'task_start':
        itemsShown = new Set();
        return taskBanner(event.task, options.verbosity);
      case 'host_result': {
        const label = event.delegatedTo && event.delegatedTo !== event.host ? `${event.host} -> ${event.delegatedTo}` : event.host;
        const items = itemsShown.has(event.host) ? [] : (event.result.items ?? []).flatMap((item) =>
          itemLines(event.task, label, item, item.label, lineOptions));
        return [...items, ...resultLines(event.task, label, event.result, lineOptions)];
      }
      case 'item_result':
        itemsShown.add(event.host);
        return itemLines(event.task, event.host, event.result, event.label, lineOptions);
      case 'retry':
        return [retryLine(event.task, event.host, event.attempt, event.retries, palette)];
      case 'warning':
        if (warned.has(event.message)) return [];
        warned.add(event.message);
        return [palette.warning(warningText(event.message))];
      case 'verbose':
        if (event.level > options.verbosity) return [];
        return [palette.verbose(event.host ? `<${event.host}> ${event.message}` : event.message)];
      case 'progress':
        if (tty) {
          out.write(`\r\x1b[K${progressLine(event, out.columns)}`);
          progressShown = true;
        }
        return [];
      case 'play_recap':
        return [banner('PLAY RECAP'), ...recapLines(event.stats, palette), ''];
      case 'fatal_error':
        return [formatError(event.error, { color, readSource: options.readSource })];
      case 'interrupted':
        return [palette.failed('[ERROR]: User interrupted execution')];
    }
  };

  return (event) => print(lines(event));
}

function taskBanner(task: TaskInfo, verbosity: number): string[] {
  const prefix = task.kind === 'handler' ? 'RUNNING HANDLER' : 'TASK';
  const head = [banner(`${prefix} [${task.name.trim()}]`)];
  if (verbosity >= 2 && task.file) head.push(`task path: ${task.file}${task.line ? `:${task.line}` : ''}`);
  return head;
}

/**
 * Ansible's `FAILED - RETRYING` line. `retries` is the task's `retries:` and `attempt` the 1-based attempt that just
 * failed; like ansible-core (which makes `retries + 1` attempts) the first retry says `retries` left.
 */
function retryLine(task: TaskInfo, host: string, attempt: number, retries: number, palette: Palette): string {
  return palette.debug(`FAILED - RETRYING: [${host}]: ${task.name.trim()} (${retries - attempt + 1} retries left).`);
}
