import type { EventSink, RunEvent, TaskInfo } from '../events.js';
import type { FileDiff, HostResult, HostStats, TaskStatus } from '../result.js';
import { PhoenixError } from '../errors.js';
import { CENSORED_LABEL, CENSORED_MESSAGE } from './censor.js';

/** One host's outcome of one task in the `--json` document. */
export interface JsonHostResult {
  status: TaskStatus;
  changed: boolean;
  msg?: string;
  reason?: string;
  diff?: FileDiff[];
  ignored?: true;
  censored?: string;
  items?: Array<JsonHostResult & { label: string }>;
}

export interface JsonTask {
  task: { name: string; module: string };
  hosts: Record<string, JsonHostResult>;
}

/** The `--json` document (brief section 3). `error`/`interrupted` appear only when the run ended that way. */
export interface JsonDocument {
  plays: Array<{ play: { name: string }; tasks: JsonTask[] }>;
  stats: Record<string, HostStats>;
  error?: { code?: string; message: string };
  interrupted?: true;
}

/** The JSON reporter's sink; `flush` writes the document if the run ended without a recap. */
export type JsonReporter = EventSink & { flush(): void };

/**
 * Collects a run's events and writes ONE JSON document: at `play_recap`, at `fatal_error`/`interrupted`, or on
 * `flush()`, whichever comes first. Nothing else is ever written to `out`; warnings go to `warnings` (stderr).
 */
export function createJsonReporter(out: { write(s: string): void }, warnings?: { write(s: string): void }): JsonReporter {
  const doc: JsonDocument = { plays: [], stats: {} };
  let current: JsonTask | undefined;
  let currentInfo: TaskInfo | undefined;
  let written = false;

  const flush = (): void => {
    if (written) return;
    written = true;
    out.write(`${JSON.stringify(doc, null, 4)}\n`);
  };

  const taskFor = (info: TaskInfo): JsonTask => {
    if (current && currentInfo && sameTask(currentInfo, info)) return current;
    if (doc.plays.length === 0) doc.plays.push({ play: { name: '' }, tasks: [] });
    current = { task: { name: info.name, module: info.module }, hosts: {} };
    currentInfo = info;
    doc.plays[doc.plays.length - 1].tasks.push(current);
    return current;
  };

  const sink = (event: RunEvent): void => {
    if (written) return;
    switch (event.type) {
      case 'play_start':
        doc.plays.push({ play: { name: event.name }, tasks: [] });
        current = undefined;
        return;
      case 'task_start':
        current = undefined;
        taskFor(event.task);
        return;
      case 'host_result':
        taskFor(event.task).hosts[event.host] = hostEntry(event.result);
        return;
      case 'play_recap':
        doc.stats = event.stats;
        return flush();
      case 'fatal_error':
        doc.error = event.error instanceof PhoenixError
          ? { code: event.error.code, message: event.error.message }
          : { message: event.error.message };
        return flush();
      case 'interrupted':
        doc.interrupted = true;
        return flush();
      // Not part of the document (brief section 3): warnings go to stderr, as ansible-playbook's do.
      case 'warning':
        warnings?.write(`[WARNING]: ${event.message}\n`);
        return;
      default:
        return;
    }
  };
  return Object.assign(sink, { flush });
}

function sameTask(a: TaskInfo, b: TaskInfo): boolean {
  return a === b || (a.name === b.name && a.module === b.module && a.kind === b.kind && a.file === b.file && a.line === b.line);
}

/** A result as the document shows it; censored results keep only their status and Ansible's censored note. */
function hostEntry(result: HostResult & { label?: string }): JsonHostResult {
  const entry: JsonHostResult = { status: result.status, changed: result.changed };
  if (result.censored) {
    entry.censored = CENSORED_MESSAGE;
  } else {
    if (result.msg !== undefined) entry.msg = result.msg;
    if (result.reason !== undefined) entry.reason = result.reason;
    if (result.diff !== undefined) entry.diff = result.diff;
  }
  if (result.ignored) entry.ignored = true;
  if (result.items) {
    entry.items = result.items.map((item) => ({ label: item.censored ? CENSORED_LABEL : item.label, ...hostEntry(item) }));
  }
  return entry;
}
