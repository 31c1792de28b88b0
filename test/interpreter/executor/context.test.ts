import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sharedAnswers } from '../../../interpreter/executor/context.js';

test('oncePerRun: concurrent askers share the first one\'s answer; a failure is dropped, so the next asks again', async () => {
  const once = sharedAnswers(new Map());
  let computed = 0;
  const answer = (value: string) => async () => {
    computed++;
    await new Promise((r) => setTimeout(r, 5));
    return value;
  };
  assert.equal(await Promise.all([once('k', answer('a')), once('k', answer('b')), once('other', answer('c'))]), ['a', 'a', 'c']);
  assert.is(computed, 2);
  const failing = once('f', async () => {
    computed++;
    throw new Error('no network');
  });
  const waiting = once('f', answer('never'));
  const message = (p: Promise<unknown>) => p.then(() => 'resolved', (e: Error) => e.message);
  assert.is(await message(failing), 'no network');
  assert.is(await message(waiting), 'no network', 'who waited for the failed answer gets its failure');
  assert.is(await once('f', answer('second try')), 'second try');
  assert.is(computed, 4);
});

test.run();
