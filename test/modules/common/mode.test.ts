import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateWithSchema } from '../../../interpreter/schema/validate.js';
import { formatMode, modeSchema, resolveMode } from '../../../modules/common/mode.js';

test('octal strings and integers', () => {
  assert.is(resolveMode('0644', 0, false), 0o644);
  assert.is(resolveMode('755', 0, false), 0o755);
  assert.is(resolveMode('01777', 0, true), 0o1777);
  assert.is(resolveMode(0o600, 0, false), 0o600);
  assert.is(resolveMode('preserve', 0o640, false), 0o640);
});

test('the mode schema admits what resolveMode reads, and nothing else', () => {
  const schema = { type: 'object', properties: { mode: modeSchema } };
  const ok = (mode: unknown) => validateWithSchema(schema, { mode }).length === 0;
  for (const good of ['0644', '644', '01777', '07777', 0o600, 0, 0o7777, 'preserve', 'u+x', 'u+rwx,g-w,o=', 'a=r', 'g=u', ' 0644 ']) {
    assert.ok(ok(good), `accepts ${JSON.stringify(good)}`);
  }
  for (const bad of ['0999', '17777', '', 'u+q', 'x+y', 'u+x,', -1, 0o7777 + 1, 1.5]) assert.not.ok(ok(bad), `rejects ${JSON.stringify(bad)}`);
  const [problem] = validateWithSchema(schema, { mode: '0999' });
  assert.match(problem.message, /^mode must be an octal mode such as '0644'.* \(got "0999"\)$/);
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
