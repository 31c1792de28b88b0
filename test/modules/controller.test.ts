import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assert as assertModule } from '../../modules/assert.js';
import { debug } from '../../modules/debug.js';
import { fail } from '../../modules/fail.js';
import { setFact } from '../../modules/set_fact.js';
import { moduleContext, runModule } from '../support/module-context.js';

const vars = { answer: 42, name: 'gpu', items: [1, 2], nested: { version: '580.76.05' } };

test('the four controller modules need no connection', () => {
  for (const m of [assertModule, debug, fail, setFact]) assert.ok(m.controllerOnly, m.name);
  assert.equal(assertModule.rawArgs, ['that']);
});

test('debug: msg, default message, var, undefined var', async () => {
  const ctx = moduleContext({ vars });
  const msg = await runModule(debug, { msg: 'hello' }, ctx);
  assert.is(msg.status, 'ok');
  assert.ok(msg.reason);
  assert.equal(msg.data, { msg: 'hello' });
  assert.equal((await runModule(debug, {}, ctx)).data, { msg: 'Hello world!' });
  assert.equal((await runModule(debug, { var: 'nested.version' }, ctx)).data, { 'nested.version': '580.76.05' });
  assert.equal((await runModule(debug, { var: 'items | length' }, ctx)).data, { 'items | length': 2 });
  assert.equal((await runModule(debug, { var: 'missing' }, ctx)).data, { missing: 'VARIABLE IS NOT DEFINED!' });
  const both = await runModule(debug, { msg: 'a', var: 'b' }, ctx);
  assert.is(both.status, 'failed');
  assert.is(both.msg, "'msg' and 'var' are incompatible options");
});

test('debug: verbosity above the run level shows nothing', async () => {
  const quiet = await runModule(debug, { msg: 'x', verbosity: 2 }, moduleContext({ vars: { ansible_verbosity: 1 } }));
  assert.is(quiet.reason, 'Verbosity threshold not met.');
  assert.is(quiet.data.skipped_reason, 'Verbosity threshold not met.');
  const loud = await runModule(debug, { msg: 'x', verbosity: 2 }, moduleContext({ vars: { ansible_verbosity: 2 } }));
  assert.equal(loud.data, { msg: 'x' });
});

test('assert: all conditions hold', async () => {
  const got = await runModule(assertModule, { that: ['answer == 42', "'gpu' in name", 'items | length > 1'] }, moduleContext({ vars }));
  assert.is(got.status, 'ok');
  assert.is(got.data.msg, 'All assertions passed');
  assert.is(got.reason, '3 assertion(s) passed');
  const single = await runModule(assertModule, { that: 'answer > 1', success_msg: 'fine' }, moduleContext({ vars }));
  assert.is(single.data.msg, 'fine');
});

test('assert: the first false condition fails with Ansible keys', async () => {
  const got = await runModule(assertModule, { that: ['answer == 42', 'answer == 3', 'missing'] }, moduleContext({ vars }));
  assert.is(got.status, 'failed');
  assert.is(got.msg, 'Assertion failed');
  assert.is(got.data.assertion, 'answer == 3');
  assert.is(got.data.evaluated_to, false);
  const custom = await runModule(assertModule, { that: 'answer == 3', fail_msg: 'wrong answer' }, moduleContext({ vars }));
  assert.is(custom.msg, 'wrong answer');
  const alias = await runModule(assertModule, { that: 'answer == 3', msg: 'old name' }, moduleContext({ vars }));
  assert.is(alias.msg, 'old name');
});

test('assert: an undefined variable fails the task and names the condition', async () => {
  const got = await runModule(assertModule, { that: 'missing == 1' }, moduleContext({ vars }));
  assert.is(got.status, 'failed');
  assert.match(String(got.msg), /^The conditional check 'missing == 1' failed\. The error was: .*missing/);
});

test('set_fact: every key becomes a fact, cacheable is ignored', async () => {
  const got = await runModule(setFact, { driver: '580', list: [1], cacheable: true }, moduleContext());
  assert.is(got.status, 'ok');
  assert.equal(got.facts, { driver: '580', list: [1] });
  assert.equal(got.data, { ansible_facts: { driver: '580', list: [1] } });
  assert.is(got.reason, 'set driver, list');
});

test('set_fact: invalid variable names are rejected by the schema', async () => {
  try {
    await runModule(setFact, { 'bad-name': 1 }, moduleContext());
    assert.unreachable('accepted');
  } catch (error) {
    assert.match((error as Error).message, /invalid arguments/);
  }
});

test('fail: msg or the default', async () => {
  const got = await runModule(fail, { msg: 'stop here' }, moduleContext());
  assert.is(got.status, 'failed');
  assert.is(got.msg, 'stop here');
  assert.is((await runModule(fail, {}, moduleContext())).msg, 'Failed as requested from task');
});

test.run();
