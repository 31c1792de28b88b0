import type { PhoenixError } from './errors.js';
import type { HostResult, HostStats } from './result.js';

/** A task as reporters see it. */
export interface TaskInfo {
  name: string;
  module: string;
  /** `HANDLER` for handlers, `TASK` otherwise; Ansible prints `RUNNING HANDLER [...]`. */
  kind: 'task' | 'handler';
  file?: string;
  line?: number;
}

/**
 * Everything the engine tells the outside world. The engine never prints; reporters render these.
 * Values hidden by no_log are already censored when an event is emitted.
 */
export type RunEvent =
  | { type: 'playbook_start'; file: string; check: boolean; diff: boolean }
  | { type: 'play_start'; name: string; hosts: string[] }
  | { type: 'no_hosts'; play: string }
  | { type: 'task_start'; task: TaskInfo }
  | { type: 'host_result'; task: TaskInfo; host: string; result: HostResult; delegatedTo?: string }
  | { type: 'item_result'; task: TaskInfo; host: string; result: HostResult; label: string }
  | { type: 'retry'; task: TaskInfo; host: string; attempt: number; retries: number }
  | { type: 'warning'; message: string }
  | { type: 'verbose'; level: number; host?: string; message: string }
  | { type: 'progress'; host: string; message: string; done?: number; total?: number }
  | { type: 'play_recap'; stats: Record<string, HostStats> }
  | { type: 'fatal_error'; error: PhoenixError | Error }
  | { type: 'interrupted' };

export type EventSink = (event: RunEvent) => void;
