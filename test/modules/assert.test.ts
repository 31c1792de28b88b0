import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assert as assertModule } from '../../modules/assert.js';
import { moduleContext, runModule } from '../support/module-context.js';

const vars = { answer: 42, name: 'gpu', items: [1, 2], nested: { version: '580.76.05' } };

test('assert runs on the controller with raw conditions', () => {
  assert.ok(assertModule.controllerOnly);
  assert.equal(assertModule.rawArgs, ['that']);
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

test.run();
