import type { RunEvent } from '../../../interpreter/events.js';
import {
  changedResult, emptyStats, failedResult, okResult, skippedResult, unreachableResult, type HostResult, type HostStats,
} from '../../../interpreter/result.js';
import { commandData, item, task } from './support.js';

// Ansible ran fixtures/ansible/run.yml with -f 1; these follow its order.
const ok = task('ok task');
const changed = task('changed task');
const skip = task('skip task');
const debug = task('debug msg', 'debug');
const ignored = task('fail ignored');
const loop = task('loop');
const labelled = task('loop with label', 'debug');
const retry = task('retry');
const delegated = task('delegated');
const noLog = task('no log fail');
const fail = task('fail really');
const handler = task('restart thing', 'command', 'handler');
const ping = task('ping it', 'ping');

const conditional = 'Conditional result was False';
const failedFalse = (): HostResult => ({
  ...failedResult('non-zero return code', commandData(['false'], 1), true), ignored: true,
});
const loopItems = (host: string): RunEvent[] => {
  const a = okResult(undefined, commandData(['echo', 'a'], 0, 'a'));
  const b = changedResult(undefined, commandData(['echo', 'b'], 0, 'b'));
  return [
    { type: 'item_result', task: loop, host, result: a, label: 'a' },
    { type: 'item_result', task: loop, host, result: b, label: 'b' },
    { type: 'host_result', task: loop, host, result: { ...changedResult(), items: [item(a, 'a'), item(b, 'b')] } },
  ];
};
const labelItems = (host: string): RunEvent[] => {
  const one = okResult(undefined, { msg: 'x' });
  return [
    { type: 'item_result', task: labelled, host, result: one, label: 'one' },
    { type: 'item_result', task: labelled, host, result: one, label: 'two' },
    { type: 'host_result', task: labelled, host, result: { ...okResult(), items: [item(one, { n: 'one' }, 'one'), item(one, { n: 'two' }, 'two')] } },
  ];
};
const censored: HostResult = { status: 'failed', changed: true, data: {}, censored: true, ignored: true };
const stats = (s: Partial<HostStats>): HostStats => ({ ...emptyStats(), ...s });

/** The events phoenix's engine would emit for fixtures/ansible/run.yml. */
export const shapesRun: RunEvent[] = [
  { type: 'playbook_start', file: 'run.yml', check: false, diff: false },
  { type: 'play_start', name: 'Shapes', hosts: ['ct901', 'pve1'] },
  { type: 'task_start', task: ok },
  { type: 'host_result', task: ok, host: 'ct901', result: okResult() },
  { type: 'host_result', task: ok, host: 'pve1', result: okResult() },
  { type: 'task_start', task: changed },
  { type: 'host_result', task: changed, host: 'ct901', result: changedResult() },
  { type: 'host_result', task: changed, host: 'pve1', result: changedResult() },
  { type: 'task_start', task: skip },
  { type: 'host_result', task: skip, host: 'ct901', result: skippedResult(conditional) },
  { type: 'host_result', task: skip, host: 'pve1', result: skippedResult(conditional) },
  { type: 'task_start', task: debug },
  { type: 'host_result', task: debug, host: 'ct901', result: okResult(undefined, { msg: 'hello ct901' }) },
  { type: 'host_result', task: debug, host: 'pve1', result: okResult(undefined, { msg: 'hello pve1' }) },
  { type: 'task_start', task: ignored },
  { type: 'host_result', task: ignored, host: 'ct901', result: failedFalse() },
  { type: 'host_result', task: ignored, host: 'pve1', result: failedFalse() },
  { type: 'task_start', task: loop },
  ...loopItems('ct901'),
  ...loopItems('pve1'),
  { type: 'task_start', task: labelled },
  ...labelItems('ct901'),
  ...labelItems('pve1'),
  { type: 'task_start', task: retry },
  { type: 'retry', task: retry, host: 'ct901', attempt: 1, retries: 2 },
  { type: 'retry', task: retry, host: 'ct901', attempt: 2, retries: 2 },
  { type: 'host_result', task: retry, host: 'ct901', result: { ...failedFalse(), data: { ...commandData(['false'], 1), attempts: 2 } } },
  { type: 'host_result', task: retry, host: 'pve1', result: skippedResult(conditional) },
  { type: 'task_start', task: delegated },
  { type: 'host_result', task: delegated, host: 'ct901', result: changedResult(), delegatedTo: 'pve1' },
  { type: 'host_result', task: delegated, host: 'pve1', result: changedResult(), delegatedTo: 'pve1' },
  { type: 'task_start', task: noLog },
  { type: 'host_result', task: noLog, host: 'ct901', result: censored },
  { type: 'host_result', task: noLog, host: 'pve1', result: censored },
  { type: 'task_start', task: fail },
  { type: 'host_result', task: fail, host: 'ct901', result: skippedResult(conditional) },
  {
    type: 'host_result', task: fail, host: 'pve1',
    result: failedResult('non-zero return code', commandData(['sh', '-c', 'echo out; echo err >&2; exit 3'], 3, 'out', 'err'), true),
  },
  { type: 'task_start', task: handler },
  { type: 'host_result', task: handler, host: 'ct901', result: changedResult() },
  { type: 'play_start', name: 'Empty', hosts: [] },
  { type: 'no_hosts', play: 'Empty' },
  { type: 'play_start', name: 'Unreach', hosts: ['gone'] },
  { type: 'task_start', task: ping },
  {
    type: 'host_result', task: ping, host: 'gone',
    result: unreachableResult('Failed to connect to the host via ssh: ssh: connect to host 127.0.0.1 port 1: Connection refused'),
  },
  {
    type: 'play_recap',
    stats: {
      ct901: stats({ ok: 10, changed: 7, skipped: 2, ignored: 3 }),
      pve1: stats({ ok: 8, changed: 5, failed: 1, skipped: 2, ignored: 2 }),
      gone: stats({ unreachable: 1 }),
    },
  },
];

const RECORD = '/tmp/phoenix-report-record';
const copyData = (size: number, checksum: string, md5sum: string): Record<string, unknown> => ({
  checksum, dest: `${RECORD}/out.conf`, gid: 0, group: 'root', md5sum, mode: '0644', owner: 'root', size,
  src: `${RECORD}/source`, state: 'file', uid: 0,
});

/** The events for fixtures/ansible/diff.yml. */
export function diffRun(): RunEvent[] {
  const write = task('write file', 'copy');
  const edit = task('edit file', 'copy');
  const loopFail = task('loop fail');
  const loopSkip = task('loop skip');
  const long = task('a very long task name that goes beyond the eighty column banner width so stars are minimum', 'debug');
  const fail = task('fail msg', 'fail');
  const loopVar = (value: string) => ({ ansible_loop_var: 'item', item: value });
  const itemTrue: HostResult = { ...changedResult(undefined, { ...loopVar('true'), ...commandData(['true'], 0) }), msg: '' };
  const itemFalse = failedResult('non-zero return code', { ...loopVar('false'), ...commandData(['false'], 1) }, true);
  const skipped = (v: string) => skippedResult('Conditional result was False', loopVar(v));
  const host = 'ct901';
  return [
    { type: 'play_start', name: 'More shapes', hosts: [host] },
    { type: 'task_start', task: write },
    { type: 'host_result', task: write, host, result: changedResult(undefined, copyData(6, '3ca69e8d6c234a469d16ac28a4a658c92267c423', '40c53c58fdafacc83cfff6ee3d2f6d69')) },
    { type: 'task_start', task: edit },
    {
      type: 'host_result', task: edit, host,
      result: changedResult(undefined, copyData(7, '482740ec7b81a311c5c297454ae12dbd62cb567d', 'b3c95af6fbf98b4c3037c07b65392550'),
        [{ path: `${RECORD}/out.conf`, before: 'a\nb\nc\n', after: 'a\nB\nc\nd' }]),
    },
    { type: 'task_start', task: loopFail },
    { type: 'item_result', task: loopFail, host, result: itemTrue, label: 'true' },
    { type: 'item_result', task: loopFail, host, result: itemFalse, label: 'false' },
    {
      type: 'host_result', task: loopFail, host,
      result: { ...failedResult('One or more items failed', {}, true), ignored: true, items: [item(itemTrue, 'true'), item(itemFalse, 'false')] },
    },
    { type: 'task_start', task: loopSkip },
    { type: 'item_result', task: loopSkip, host, result: skipped('x'), label: 'x' },
    { type: 'item_result', task: loopSkip, host, result: skipped('y'), label: 'y' },
    { type: 'host_result', task: loopSkip, host, result: { ...skippedResult('All items skipped'), items: [item(skipped('x'), 'x'), item(skipped('y'), 'y')] } },
    { type: 'task_start', task: long },
    { type: 'host_result', task: long, host, result: okResult(undefined, { msg: 'hi' }) },
    { type: 'task_start', task: fail },
    { type: 'host_result', task: fail, host, result: failedResult('driver mismatch') },
    { type: 'play_recap', stats: { ct901: { ...emptyStats(), ok: 4, changed: 3, failed: 1, skipped: 1, ignored: 1 } } },
  ];
}

