import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expandMatch, pythonRegex } from '../../../modules/common/python-regex.js';

test('$ also matches before a final newline, as in Python', () => {
  assert.ok(pythonRegex('^a=1$').test('a=1\n'));
  assert.not.ok(pythonRegex('^a=1$').test('a=1\nb'));
  assert.ok(pythonRegex('[$]').test('$'));
  assert.ok(pythonRegex('\\$x').test('$x'));
  assert.not.ok(pythonRegex('a\\Z').test('a\n'));
  assert.ok(pythonRegex('\\Aa').test('ab'));
});

test('named groups and backreferences', () => {
  const m = pythonRegex('^(?P<key>\\w+)=(?P=key)$').exec('x=x')!;
  assert.ok(m);
  assert.is(m.groups!.key, 'x');
  const n = pythonRegex('^(\\w+)=(?P<v>.*)$').exec('k=v1\n')!;
  assert.is(expandMatch(n, '\\1: \\g<v> \\g<1>\\t!'), 'k: v1 k\t!');
  assert.throws(() => expandMatch(n, '\\5'));
});

test('leading inline flags', () => {
  assert.ok(pythonRegex('(?i)^permitrootlogin').test('PermitRootLogin yes'));
  assert.throws(() => pythonRegex('(?x) a'), /not supported/);
});

test('invalid patterns fail the task with the pattern', () => {
  assert.throws(() => pythonRegex('('), /invalid regular expression/);
});

test.run();
