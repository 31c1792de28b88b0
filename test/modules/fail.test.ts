import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fail } from '../../modules/fail.js';
import { moduleContext, runModule } from '../support/module-context.js';

test('fail runs on the controller', () => {
  assert.ok(fail.controllerOnly);
});

test('fail: msg or the default', async () => {
  const got = await runModule(fail, { msg: 'stop here' }, moduleContext());
  assert.is(got.status, 'failed');
  assert.is(got.msg, 'stop here');
  assert.is((await runModule(fail, {}, moduleContext())).msg, 'Failed as requested from task');
});

test.run();
