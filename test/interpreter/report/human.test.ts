import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RunEvent } from '../../../interpreter/events.js';
import { PhoenixError } from '../../../interpreter/errors.js';
import {
  changedResult, failedResult, okResult, skippedResult, type HostResult,
} from '../../../interpreter/result.js';
import { createHumanReporter, type HumanOptions } from '../../../interpreter/report/human.js';
import { CENSORED_MESSAGE } from '../../../interpreter/report/censor.js';
import { diffRun } from './runs.js';
import { capture, colourTags, item, recorded, replay, task } from './support.js';

function render(events: RunEvent[], options: Partial<HumanOptions> = {}, tty = false): string {
  const out = capture(tty, 60);
  replay(createHumanReporter(out, { verbosity: 0, diff: false, ...options }), events);
  return out.text;
}

test('--diff prints unified diffs before the changed line, as ansible-playbook --diff', () => {
  assert.fixture(render(diffRun(), { diff: true }), recorded('diff.txt'));
});

test('--diff in colour: added green, removed red, hunks cyan', () => {
  assert.fixture(colourTags(render(diffRun(), { diff: true, color: true })), colourTags(recorded('diff.color.txt')));
});

test('-v adds the module data after => on every result line, as ansible-playbook -v', () => {
  assert.fixture(render(diffRun(), { verbosity: 1 }), recorded('diff.v.txt'));
});

test('without --diff no diff is printed', () => {
  assert.not.match(render(diffRun()), '+++ after');
});

const install = task('install driver', 'nvidia_run');

test('ok and changed lines carry phoenix\'s reason', () => {
  const text = render([
    { type: 'host_result', task: install, host: 'ct901', result: okResult('driver 580.76.05 already installed') },
    { type: 'host_result', task: install, host: 'ct902', result: changedResult('installed driver 580.76.05') },
    { type: 'host_result', task: install, host: 'ct903', result: changedResult('pushed installer'), delegatedTo: 'pve1' },
  ]);
  assert.is(text, [
    'ok: [ct901] driver 580.76.05 already installed',
    'changed: [ct902] installed driver 580.76.05',
    'changed: [ct903 -> pve1] pushed installer',
    '',
  ].join('\n'));
});

test('-v puts the data after the reason', () => {
  const text = render([{ type: 'host_result', task: install, host: 'ct901', result: okResult('already there', { version: '580.76.05' }) }], { verbosity: 1 });
  assert.is(text, 'ok: [ct901] already there => {"changed": false, "version": "580.76.05"}\n');
});

test('-vvv indents the data by 4 like Ansible', () => {
  const text = render([{ type: 'host_result', task: install, host: 'ct901', result: okResult(undefined, { rc: 0 }) }], { verbosity: 3 });
  assert.is(text, 'ok: [ct901] => {\n    "changed": false,\n    "rc": 0\n}\n');
});

test('items carry their reason; without item events the aggregate prints its items', () => {
  const a = okResult('present');
  const b = changedResult('added');
  const text = render([{ type: 'host_result', task: install, host: 'ct901', result: { ...changedResult(), items: [item(a, 'a'), item(b, 'b')] } }]);
  assert.is(text, 'ok: [ct901] => (item=a) present\nchanged: [ct901] => (item=b) added\n');
});

test('handlers get RUNNING HANDLER; -vv adds the PLAYBOOK banner and the task path', () => {
  const handler = { ...task('restart thing', 'command', 'handler'), file: 'playbooks/site.yml', line: 12 };
  const text = render([
    { type: 'playbook_start', file: 'playbooks/site.yml', check: false, diff: false },
    { type: 'task_start', task: handler },
  ], { verbosity: 2 });
  assert.is(text, [
    '', `PLAYBOOK: site.yml ${'*'.repeat(61)}`,
    '', `RUNNING HANDLER [restart thing] ${'*'.repeat(48)}`,
    'task path: playbooks/site.yml:12', '',
  ].join('\n'));
});

test('a play without a name is PLAY; banners have at least 3 stars', () => {
  const text = render([{ type: 'play_start', name: '', hosts: [] }, { type: 'play_start', name: 'x'.repeat(100), hosts: [] }]);
  assert.is(text, `\nPLAY ${'*'.repeat(75)}\n\nPLAY [${'x'.repeat(100)}] ***\n`);
});

test('verbose events show from their level on, with the host', () => {
  const events: RunEvent[] = [
    { type: 'verbose', level: 1, host: 'pve1', message: 'ESTABLISH SSH CONNECTION FOR USER: root' },
    { type: 'verbose', level: 3, message: 'deep detail' },
  ];
  assert.is(render(events), '');
  assert.is(render(events, { verbosity: 1 }), '<pve1> ESTABLISH SSH CONNECTION FOR USER: root\n');
  assert.is(render(events, { verbosity: 3 }), '<pve1> ESTABLISH SSH CONNECTION FOR USER: root\ndeep detail\n');
  assert.is(colourTags(render(events, { verbosity: 1, color: true })), '<blue><pve1> ESTABLISH SSH CONNECTION FOR USER: root</>\n');
});

const download = (done: number): RunEvent => ({ type: 'progress', host: 'pve1', message: 'downloading NVIDIA-Linux-x86_64-580.76.05.run', done, total: 100 });

test('progress redraws one line on a TTY, cut to its width, and clears it before the next line', () => {
  const row = (done: number) => `[pve1] downloading NVIDIA-Linux-x86_64-580.76.05.run ${bar(done)}`.slice(0, 59);
  const bar = (done: number) => `[${'#'.repeat(done / 5)}${'.'.repeat(20 - done / 5)}] ${done}%`;
  const text = render([download(10), download(55), { type: 'host_result', task: install, host: 'pve1', result: changedResult('installed') }], { color: false }, true);
  assert.is(text, `\r\x1b[K${row(10)}\r\x1b[K${row(55)}\r\x1b[Kchanged: [pve1] installed\n`);
});

test('progress with room shows a bar and a percentage; off a TTY nothing', () => {
  const out = capture(true, 200);
  createHumanReporter(out, { verbosity: 0, diff: false })(download(55));
  assert.is(out.text, '\r\x1b[K[pve1] downloading NVIDIA-Linux-x86_64-580.76.05.run [###########.........] 55%');
  assert.is(render([download(55), download(100)]), '');
});

test('colour follows the TTY unless told; off a TTY the text is plain', () => {
  const events: RunEvent[] = [{ type: 'host_result', task: install, host: 'ct901', result: okResult('fine') }];
  assert.is(render(events, {}, true), '\x1b[32mok: [ct901] fine\x1b[39m\n');
  assert.is(render(events, {}, false), 'ok: [ct901] fine\n');
  assert.is(render(events, { color: false }, true), 'ok: [ct901] fine\n');
});

test('each status has Ansible\'s colour', () => {
  const text = render([
    { type: 'host_result', task: install, host: 'a', result: okResult() },
    { type: 'host_result', task: install, host: 'b', result: changedResult() },
    { type: 'host_result', task: install, host: 'c', result: skippedResult('no') },
    { type: 'host_result', task: install, host: 'd', result: failedResult('boom') },
    { type: 'host_result', task: install, host: 'e', result: { status: 'unreachable', changed: false, msg: 'down', data: {} } },
    { type: 'retry', task: install, host: 'f', attempt: 3, retries: 5 },
    { type: 'warning', message: 'careful' },
  ], { color: true });
  assert.is(colourTags(text), [
    '<green>ok: [a]</>',
    '<yellow>changed: [b]</>',
    '<cyan>skipping: [c]</>',
    '<red>fatal: [d]: FAILED! => {"changed": false, "msg": "boom"}</>',
    '<bright-red>fatal: [e]: UNREACHABLE! => {"changed": false, "msg": "down", "unreachable": true}</>',
    '<gray>FAILED - RETRYING: [f]: install driver (3 retries left).</>',
    '<bright-magenta>[WARNING]: careful</>',
    '',
  ].join('\n'));
});

const secret = 'hunter2-s3cret';
const leaky: HostResult = {
  ...changedResult(`set password ${secret}`, { stdout: secret }, [{ path: '/etc/secret', before: '', after: secret }]),
  msg: secret, censored: true,
};

test('censored results show Ansible\'s censored note and never data, reason, msg or diff', () => {
  const events: RunEvent[] = [
    { type: 'task_start', task: task('set password', 'debug') },
    { type: 'host_result', task: task('set password', 'debug'), host: 'ct901', result: leaky },
    { type: 'host_result', task: install, host: 'ct901', result: leaky },
    { type: 'host_result', task: install, host: 'ct901', result: { ...leaky, status: 'failed', changed: false } },
    { type: 'host_result', task: install, host: 'ct901', result: { ...leaky, status: 'skipped', changed: false } },
    { type: 'item_result', task: install, host: 'ct901', result: leaky, label: secret },
    { type: 'item_result', task: install, host: 'ct901', result: { ...leaky, status: 'failed' }, label: secret },
    { type: 'host_result', task: install, host: 'ct902', result: { ...okResult(), items: [item(leaky, secret, secret)] } },
  ];
  for (const verbosity of [0, 1, 4]) {
    const text = render(events, { verbosity, diff: true });
    assert.not.ok(text.includes(secret), `secret printed at verbosity ${verbosity}:\n${text}`);
    assert.ok(text.includes(`"censored": "${CENSORED_MESSAGE}"`));
  }
  const text = render(events, { diff: true });
  assert.ok(text.includes(`fatal: [ct901]: FAILED! => {"censored": "${CENSORED_MESSAGE}", "changed": false}`));
  assert.ok(text.includes('changed: [ct901] => (item=(censored due to no_log))'));
});

test('a fatal error prints the formatted error; an interrupt prints Ansible\'s line', () => {
  const error = new PhoenixError('E_NO_HOSTS', 'no host matched the pattern', { hint: 'check --limit' }, 1);
  const text = render([{ type: 'fatal_error', error }, { type: 'interrupted' }]);
  assert.is(text, 'ERROR! [E_NO_HOSTS] no host matched the pattern\n   = hint: check --limit\n[ERROR]: User interrupted execution\n');
});

test('debug with a var prints that var; an empty data falls back to msg', () => {
  const dbg = task('show', 'debug');
  const text = render([
    { type: 'host_result', task: dbg, host: 'a', result: okResult(undefined, { nvidia: { version: '580' }, changed: false }) },
    { type: 'host_result', task: dbg, host: 'b', result: { ...okResult(), msg: 'Hello world!' } },
  ]);
  assert.is(text, 'ok: [a] => {\n    "nvidia": {\n        "version": "580"\n    }\n}\nok: [b] => {\n    "msg": "Hello world!"\n}\n');
});

test.run();
