import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatMode, resolveMode } from '../../../modules/common/mode.js';

test('octal strings and integers', () => {
  assert.is(resolveMode('0644', 0, false), 0o644);
  assert.is(resolveMode('755', 0, false), 0o755);
  assert.is(resolveMode('01777', 0, true), 0o1777);
  assert.is(resolveMode(0o600, 0, false), 0o600);
  assert.is(resolveMode('preserve', 0o640, false), 0o640);
  assert.throws(() => resolveMode('0999', 0, false));
  assert.throws(() => resolveMode(-1, 0, false));
});

test('symbolic modes as chmod applies them', () => {
  assert.is(resolveMode('u+x', 0o644, false), 0o744);
  assert.is(resolveMode('u=rw,g=r,o=', 0o777, false), 0o640);
  assert.is(resolveMode('go-w', 0o666, false), 0o644);
  assert.is(resolveMode('a+X', 0o644, false), 0o644);
  assert.is(resolveMode('a+X', 0o644, true), 0o755);
  assert.is(resolveMode('a+X', 0o744, false), 0o755);
  assert.is(resolveMode('+t', 0o755, true), 0o1755);
  assert.is(resolveMode('g+s', 0o755, true), 0o2755);
  assert.is(resolveMode('g=u', 0o750, false), 0o770);
  assert.throws(() => resolveMode('u+q', 0o644, false));
});

test('formatMode pads to four digits', () => {
  assert.is(formatMode(0o644), '0644');
  assert.is(formatMode(0o4755), '4755');
});

test.run();
