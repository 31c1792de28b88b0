/** Before/after text of one file or config the task changes (or would change in check mode). */
export interface FileDiff {
  /** What is being compared, e.g. the remote path `/etc/pve/lxc/901.conf`. */
  path: string;
  before: string;
  after: string;
}

export type TaskStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable';

/**
 * The one result type of a task on one host. Built only by the helpers below so the
 * combinations stay consistent (a changed result is never failed, a skipped one never changed...).
 */
export interface HostResult {
  status: TaskStatus;
  changed: boolean;
  /** Human message: the failure, the skip reason, debug's msg. */
  msg?: string;
  /** Why an `ok` needed no change ("driver 580.76.05 already installed"), or what changed. */
  reason?: string;
  diff?: FileDiff[];
  /** Module return values (rc, stdout, stat, ...); what `register` stores next to changed/failed/skipped. */
  data: Record<string, unknown>;
  /** A failure that `ignore_errors` turned into ok. */
  ignored?: boolean;
  /** Per-item results when the task has a loop. */
  items?: Array<HostResult & { item: unknown; label: string }>;
  /** True when `no_log` hid the content of this result. */
  censored?: boolean;
  /** The host the task ran on when `delegate_to` sent it elsewhere (rendered). */
  delegatedTo?: string;
}

export function okResult(reason?: string, data: Record<string, unknown> = {}, diff?: FileDiff[]): HostResult {
  return { status: 'ok', changed: false, reason, data, diff };
}

export function changedResult(reason?: string, data: Record<string, unknown> = {}, diff?: FileDiff[]): HostResult {
  return { status: 'changed', changed: true, reason, data, diff };
}

export function failedResult(msg: string, data: Record<string, unknown> = {}, changed = false): HostResult {
  return { status: 'failed', changed, msg, data };
}

export function skippedResult(msg: string, data: Record<string, unknown> = {}): HostResult {
  return { status: 'skipped', changed: false, msg, data };
}

export function unreachableResult(msg: string): HostResult {
  return { status: 'unreachable', changed: false, msg, data: {} };
}

/** What `register` stores: module data plus Ansible's standard keys. */
export function registeredValue(result: HostResult): Record<string, unknown> {
  const value: Record<string, unknown> = {
    ...result.data,
    changed: result.changed,
    failed: result.status === 'failed' || result.status === 'unreachable',
  };
  if (result.status === 'skipped') value.skipped = true;
  if (result.status === 'unreachable') value.unreachable = true;
  if (result.msg !== undefined && value.msg === undefined) value.msg = result.msg;
  if (result.items) {
    value.results = result.items.map((item) => ({ ...registeredValue(item), item: item.item }));
  }
  return value;
}

/** Per-host counters of the PLAY RECAP, with Ansible's counting rules. */
export interface HostStats {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

export function emptyStats(): HostStats {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
}
