import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateWithSchema } from '../../../interpreter/schema/validate.js';
import { parseMode, pctPush } from '../../../modules/pct_push.js';

// YAML's `mode: 0644` (Ansible's octal) arrives as the number 420; it must mean 0o644, as in Ansible and the file
// module, not the digits "420" read as octal (0o420, which made pushed files unreadable by their owner's group).
test('a number is the permission bits; a string is octal digits', () => {
  assert.is(parseMode(420), 0o644);
  assert.is(parseMode(0o755), 0o755);
  assert.is(parseMode('0644'), 0o644);
  assert.is(parseMode('644'), 0o644);
  assert.is(parseMode('0o600'), 0o600);
  assert.is(parseMode(undefined), undefined);
});

test('the schema keeps a number as it is and bounds it; strings must be octal', () => {
  const args: Record<string, unknown> = { src: 'app.conf', dest: '/etc/app.conf', mode: 420 };
  assert.equal(validateWithSchema(pctPush.schema, args), []);
  assert.is(args.mode, 420, 'not coerced to the string "420"');
  assert.ok(validateWithSchema(pctPush.schema, { src: 'a', dest: '/a', mode: 0o10000 }).length > 0, 'above 0o7777');
  assert.ok(validateWithSchema(pctPush.schema, { src: 'a', dest: '/a', mode: '0999' }).length > 0, 'not octal');
});

test.run();
