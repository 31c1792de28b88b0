import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { debug } from '../../modules/debug.js';
import { argumentErrors, moduleContext, runModule } from '../support/module-context.js';

const vars = { answer: 42, name: 'gpu', items: [1, 2], nested: { version: '580.76.05' } };

test('debug runs on the controller; var is evaluated, not templated', () => {
  assert.ok(debug.controllerOnly);
  assert.equal(debug.rawArgs, ['var']);
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
  assert.equal(argumentErrors(debug, { msg: 'a', var: 'b' }), ["'msg' and 'var' are incompatible options"]);
});

test('debug: verbosity above the run level shows nothing', async () => {
  const quiet = await runModule(debug, { msg: 'x', verbosity: 2 }, moduleContext({ vars: { ansible_verbosity: 1 } }));
  assert.is(quiet.reason, 'Verbosity threshold not met.');
  assert.is(quiet.data.skipped_reason, 'Verbosity threshold not met.');
  const loud = await runModule(debug, { msg: 'x', verbosity: 2 }, moduleContext({ vars: { ansible_verbosity: 2 } }));
  assert.equal(loud.data, { msg: 'x' });
});

test.run();
