import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setFact } from '../../modules/set_fact.js';
import { moduleContext, runModule } from '../support/module-context.js';

test('set_fact runs on the controller', () => {
  assert.ok(setFact.controllerOnly);
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

test.run();
