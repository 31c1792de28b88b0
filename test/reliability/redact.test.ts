import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorListError, PhoenixError } from '../../interpreter/errors.js';
import { MASK, redactError, redactingSink, redactor } from '../../interpreter/report/redact.js';
import type { RunEvent } from '../../interpreter/events.js';
import { isSecretsFile } from '../../interpreter/vars/secrets.js';

test('redactor: every occurrence, longest secret first', () => {
  const redact = redactor(['abcd', 'abcdef', '']);
  assert.is(redact('x abcdef y abcd z abcdefabcd'), `x ${MASK} y ${MASK} z ${MASK}${MASK}`);
  assert.is(redactor([])('abcd'), 'abcd');
});

test('redacting sink: nested results, diffs and labels; the original event is untouched', () => {
  const seen: RunEvent[] = [];
  const emit = redactingSink((e) => seen.push(e), ['hunter22']);
  const result = { status: 'changed', changed: true, data: { cmd: ['echo', 'hunter22'] }, diff: [{ path: '/x', before: '', after: 'pw=hunter22\n' }] };
  const event = { type: 'item_result', task: { name: 't', module: 'm', kind: 'task' }, host: 'h', result, label: 'hunter22' } as unknown as RunEvent;
  emit(event);
  assert.not.ok(JSON.stringify(seen).includes('hunter22'));
  assert.ok(JSON.stringify(event).includes('hunter22'), 'a copy is redacted, not the engine state');
});

test('redactError keeps the class, code, exit code and position', () => {
  const error = new PhoenixError('E_X', 'bad hunter22', { hint: 'hunter22 again', pos: { file: 'f', line: 1, column: 2 } }, 1);
  const copy = redactError(error, redactor(['hunter22']));
  assert.ok(copy instanceof PhoenixError);
  assert.equal([copy.code, copy.exitCode, copy.message, copy.hint, copy.pos], ['E_X', 1, `bad ${MASK}`, `${MASK} again`, error.pos]);
  const list = redactError(new ErrorListError([error]), redactor(['hunter22']));
  assert.is(list.exitCode, 1);
  assert.not.ok(JSON.stringify(list.errors.map((e) => [e.message, e.hint])).includes('hunter22'));
});

test('secrets files by name', () => {
  for (const name of ['secrets.yml', 'group_vars/all/secrets.yaml', 'db.secrets.yml', 'db.secret.json', 'prod.vault.yml']) assert.ok(isSecretsFile(name), name);
  for (const name of ['secrets.txt', 'mysecrets.yml', 'vault.yml', 'all.yml']) assert.not.ok(isSecretsFile(name), name);
});

test.run();
