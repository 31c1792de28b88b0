import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Ajv } from 'ajv';
import type { RunEvent } from '../../../interpreter/events.js';
import { PhoenixError } from '../../../interpreter/errors.js';
import { changedResult, emptyStats, okResult, type HostResult } from '../../../interpreter/result.js';
import { CENSORED_MESSAGE } from '../../../interpreter/report/censor.js';
import { createJsonReporter, type JsonDocument } from '../../../interpreter/report/json.js';
import { diffRun, shapesRun } from './runs.js';
import { capture, item, replay, task } from './support.js';

const status = { enum: ['ok', 'changed', 'failed', 'skipped', 'unreachable'] };
const count = { type: 'integer', minimum: 0 };
const fileDiff = {
  type: 'object', additionalProperties: false, required: ['path', 'before', 'after'],
  properties: { path: { type: 'string' }, before: { type: 'string' }, after: { type: 'string' } },
};
const result = (extra: Record<string, unknown> = {}) => ({
  type: 'object', additionalProperties: false, required: ['status', 'changed'],
  properties: {
    status, changed: { type: 'boolean' }, msg: { type: 'string' }, reason: { type: 'string' },
    diff: { type: 'array', items: fileDiff }, ignored: { const: true }, censored: { const: CENSORED_MESSAGE }, ...extra,
  },
});
const itemResult = result({ label: { type: 'string' } });
/** The brief's `--json` document (section 3) plus reason/items/ignored/censored; nothing else is allowed. */
const schema = {
  type: 'object', additionalProperties: false, required: ['plays', 'stats'],
  properties: {
    plays: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false, required: ['play', 'tasks'],
        properties: {
          play: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string' } } },
          tasks: {
            type: 'array',
            items: {
              type: 'object', additionalProperties: false, required: ['task', 'hosts'],
              properties: {
                task: {
                  type: 'object', additionalProperties: false, required: ['name', 'module'],
                  properties: { name: { type: 'string' }, module: { type: 'string' } },
                },
                hosts: { type: 'object', additionalProperties: result({ items: { type: 'array', items: { ...itemResult, required: ['label', 'status', 'changed'] } } }) },
              },
            },
          },
        },
      },
    },
    stats: {
      type: 'object',
      additionalProperties: {
        type: 'object', additionalProperties: false,
        required: ['ok', 'changed', 'unreachable', 'failed', 'skipped', 'rescued', 'ignored'],
        properties: { ok: count, changed: count, unreachable: count, failed: count, skipped: count, rescued: count, ignored: count },
      },
    },
    error: { type: 'object', required: ['message'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
    interrupted: { const: true },
  },
};
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);

function run(events: RunEvent[]): { writes: string[]; doc: JsonDocument } {
  const writes: string[] = [];
  replay(createJsonReporter({ write: (s) => writes.push(s) }), events);
  assert.is(writes.length, 1, 'exactly one write');
  const doc = JSON.parse(writes[0]) as JsonDocument;
  assert.ok(validate(doc), JSON.stringify(validate.errors, null, 2));
  return { writes, doc };
}

test('a whole run gives one document of the brief\'s shape', () => {
  const { doc } = run(shapesRun);
  assert.equal(doc.plays.map((p) => p.play.name), ['Shapes', 'Empty', 'Unreach']);
  assert.equal(doc.plays[0].tasks.map((t) => t.task.name), [
    'ok task', 'changed task', 'skip task', 'debug msg', 'fail ignored', 'loop', 'loop with label', 'retry', 'delegated',
    'no log fail', 'fail really', 'restart thing',
  ]);
  assert.equal(doc.plays[1].tasks, []);
  assert.equal(doc.plays[2].tasks[0], {
    task: { name: 'ping it', module: 'ping' },
    hosts: { gone: { status: 'unreachable', changed: false, msg: 'Failed to connect to the host via ssh: ssh: connect to host 127.0.0.1 port 1: Connection refused' } },
  });
  assert.equal(doc.stats.ct901, { ...emptyStats(), ok: 10, changed: 7, skipped: 2, ignored: 3 });
  assert.equal(Object.keys(doc.stats).sort(), ['ct901', 'gone', 'pve1']);
});

test('statuses, ignored failures, skip reasons and loop items are kept per host', () => {
  const [, , , , fail, loop, labelled] = run(shapesRun).doc.plays[0].tasks;
  assert.equal(fail.hosts.ct901, { status: 'failed', changed: true, msg: 'non-zero return code', ignored: true });
  assert.equal(loop.task, { name: 'loop', module: 'command' });
  assert.equal(loop.hosts.pve1, {
    status: 'changed', changed: true,
    items: [{ label: 'a', status: 'ok', changed: false }, { label: 'b', status: 'changed', changed: true }],
  });
  assert.equal(labelled.hosts.ct901.items?.map((i) => i.label), ['one', 'two']);
});

test('diffs and phoenix\'s reasons are in the document', () => {
  const edit = run(diffRun()).doc.plays[0].tasks[1];
  assert.equal(edit.hosts.ct901.diff, [{ path: '/tmp/phoenix-report-record/out.conf', before: 'a\nb\nc\n', after: 'a\nB\nc\nd' }]);
  const t = task('install driver', 'nvidia_run');
  const { doc } = run([
    { type: 'play_start', name: 'GPU', hosts: ['ct901'] },
    { type: 'task_start', task: t },
    { type: 'host_result', task: t, host: 'ct901', result: okResult('driver 580.76.05 already installed') },
    { type: 'play_recap', stats: { ct901: { ...emptyStats(), ok: 1 } } },
  ]);
  assert.equal(doc.plays[0].tasks[0].hosts.ct901, { status: 'ok', changed: false, reason: 'driver 580.76.05 already installed' });
});

test('censored results keep only status, changed and the censored note', () => {
  const secret = 'hunter2-s3cret';
  const leaky: HostResult = {
    ...changedResult(`set ${secret}`, { stdout: secret }, [{ path: '/etc/x', before: '', after: secret }]), msg: secret, censored: true,
  };
  const t = task('set password');
  const { writes, doc } = run([
    { type: 'play_start', name: 'p', hosts: ['h'] },
    { type: 'task_start', task: t },
    { type: 'host_result', task: t, host: 'h', result: { ...changedResult(), items: [item(leaky, secret, secret)] } },
    { type: 'host_result', task: t, host: 'g', result: leaky },
    { type: 'play_recap', stats: {} },
  ]);
  assert.not.ok(writes[0].includes(secret));
  assert.equal(doc.plays[0].tasks[0].hosts.g, { status: 'changed', changed: true, censored: CENSORED_MESSAGE });
  assert.equal(doc.plays[0].tasks[0].hosts.h.items, [{ label: '(censored due to no_log)', status: 'changed', changed: true, censored: CENSORED_MESSAGE }]);
});

test('nothing is written before the end, and only once', () => {
  const writes: string[] = [];
  const sink = createJsonReporter({ write: (s) => writes.push(s) });
  replay(sink, shapesRun.slice(0, -1));
  assert.equal(writes, []);
  replay(sink, shapesRun.slice(-1));
  sink({ type: 'warning', message: 'late' });
  sink.flush();
  assert.is(writes.length, 1);
  assert.ok(writes[0].endsWith('}\n'));
});

test('a fatal error or an interrupt ends the document early, saying so', () => {
  const { doc } = run([
    { type: 'play_start', name: 'p', hosts: ['h'] },
    { type: 'fatal_error', error: new PhoenixError('E_TEMPLATE_UNDEFINED', "'nvidia' is undefined") },
    { type: 'play_recap', stats: { h: emptyStats() } },
  ]);
  assert.equal(doc.error, { code: 'E_TEMPLATE_UNDEFINED', message: "'nvidia' is undefined" });
  assert.equal(doc.stats, {});
  assert.is(run([{ type: 'interrupted' }]).doc.interrupted, true);
});

test('flush writes the document when the run ended without a recap', () => {
  const out = capture();
  const sink = createJsonReporter(out);
  sink({ type: 'play_start', name: 'p', hosts: [] });
  sink.flush();
  sink.flush();
  assert.equal(JSON.parse(out.text), { plays: [{ play: { name: 'p' }, tasks: [] }], stats: {} });
});

test.run();
