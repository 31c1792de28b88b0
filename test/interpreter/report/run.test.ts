import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RunEvent } from '../../../interpreter/events.js';
import {
  changedResult, emptyStats, failedResult, okResult, skippedResult, unreachableResult, type HostResult, type HostStats,
} from '../../../interpreter/result.js';
import { createHumanReporter } from '../../../interpreter/report/human.js';
import { capture, colourTags, commandData, item, recorded, replay, task } from './support.js';

// The events phoenix's engine would emit for fixtures/ansible/run.yml, in the order ansible-playbook ran it (-f 1).
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

const events: RunEvent[] = [
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

test('a whole run prints what ansible-playbook printed for the same playbook', () => {
  const out = capture();
  replay(createHumanReporter(out, { verbosity: 0, diff: false }), events);
  assert.fixture(out.text, recorded('run.txt'));
});

test('a whole run in colour uses the colours ansible-playbook used, line by line', () => {
  const out = capture();
  replay(createHumanReporter(out, { verbosity: 0, diff: false, color: true }), events);
  assert.fixture(colourTags(out.text), colourTags(recorded('run.color.txt')));
});

test('the warning for an unmatched pattern is Ansible\'s, wrapped like Ansible wraps it', () => {
  const out = capture();
  const sink = createHumanReporter(out, { verbosity: 0, diff: false });
  sink({ type: 'warning', message: 'Could not match supplied host pattern, ignoring: nomatch' });
  sink({ type: 'warning', message: 'Could not match supplied host pattern, ignoring: nomatch' });
  sink({
    type: 'warning',
    message: 'Could not match supplied host pattern, ignoring: nomatch_at_all_because_this_host_pattern_is_long_enough_to_wrap_the_warning_line',
  });
  assert.fixture(out.text, recorded('run.stderr.txt') + recorded('warning.stderr.txt'));
});

test.run();
