import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { absentLines, presentLine, readLines } from '../../modules/common/line-edit.js';
import { lineinfile } from '../../modules/lineinfile.js';
import { argumentErrors, moduleContext, removeDir, runModule, tempDir } from '../support/module-context.js';

let dir = '';
test.before.each(async () => {
  dir = await tempDir();
});
test.after.each(async () => {
  await removeDir(dir);
});

test('readLines keeps terminators like Python readlines', () => {
  assert.equal(readLines('a\nb'), ['a\n', 'b']);
  assert.equal(readLines('a\n\n'), ['a\n', '\n']);
  assert.equal(readLines(''), []);
});

test('presentLine and absentLines are pure', () => {
  const lines = ['x=1\n', 'y=2\n'];
  assert.equal(presentLine(lines, { line: 'x=3', regexp: '^x=' }), { lines: ['x=3\n', 'y=2\n'], changed: true, msg: 'line replaced' });
  assert.equal(lines, ['x=1\n', 'y=2\n']);
  assert.equal(absentLines(lines, { line: 'y=2' }), { lines: ['x=1\n'], found: 1 });
});

test('check mode shows the diff and writes nothing; apply keeps mode; re-run is ok', async () => {
  const path = join(dir, 'sshd_config');
  await writeFile(path, 'Port 22\nPermitRootLogin yes\n', { mode: 0o600 });
  const args = { path, regexp: '^PermitRootLogin', line: 'PermitRootLogin prohibit-password' };
  const checked = await runModule(lineinfile, args, moduleContext({ check: true }));
  assert.is(checked.status, 'changed');
  assert.equal(checked.diffs, [{ path, before: 'Port 22\nPermitRootLogin yes\n', after: 'Port 22\nPermitRootLogin prohibit-password\n' }]);
  assert.is(await readFile(path, 'utf8'), 'Port 22\nPermitRootLogin yes\n');
  assert.is((await runModule(lineinfile, args, moduleContext())).status, 'changed');
  assert.is(await readFile(path, 'utf8'), checked.diffs[0].after);
  assert.is((await stat(path)).mode & 0o7777, 0o600);
  const again = await runModule(lineinfile, args, moduleContext());
  assert.is(again.status, 'ok');
  assert.is(again.reason, `${path} already has the line`);
});

test('backup and aliases (dest, regex, value)', async () => {
  const path = join(dir, 'f');
  await writeFile(path, 'a\n');
  const got = await runModule(lineinfile, { dest: path, regex: '^a', value: 'b', backup: true }, moduleContext());
  assert.is(got.status, 'changed');
  assert.is(await readFile(String(got.data.backup), 'utf8'), 'a\n');
  assert.is(await readFile(path, 'utf8'), 'b\n');
});

test('validate: a rejected edit leaves the file alone', async () => {
  const path = join(dir, 'f');
  await writeFile(path, 'keep\n');
  const got = await runModule(lineinfile, { path, line: 'bad', validate: 'grep -qv bad %s' }, moduleContext());
  assert.is(got.status, 'changed');
  const rejected = await runModule(lineinfile, { path, line: 'other', validate: 'sh -c "! grep -q other $0" %s' }, moduleContext());
  assert.is(rejected.status, 'failed');
  assert.is(rejected.msg, 'failed to validate');
  assert.is(await readFile(path, 'utf8'), 'keep\nbad\n');
});

test('argument rules of Ansible', async () => {
  const path = join(dir, 'f');
  await writeFile(path, '');
  assert.equal(argumentErrors(lineinfile, { path }), ['line is required with state=present']);
  assert.equal(argumentErrors(lineinfile, { path, state: 'absent' }), ['one of line, search_string, or regexp is required with state=absent']);
  assert.equal(argumentErrors(lineinfile, { path, line: 'x', backrefs: true }), ['regexp is required with backrefs=true']);
  assert.equal(argumentErrors(lineinfile, { path, line: 'x', insertafter: 'a', insertbefore: 'b' }), ['parameters are mutually exclusive: insertbefore|insertafter']);
  assert.equal(argumentErrors(lineinfile, { path, value: 'x', regex: 'a', search_string: 'b' }), ['parameters are mutually exclusive: regex|search_string']);
  assert.equal(argumentErrors(lineinfile, { path, line: 'x', regexp: 'a', backrefs: true, search_string: 'b' }),
    ['parameters are mutually exclusive: regexp|search_string', 'parameters are mutually exclusive: backrefs|search_string']);
  assert.equal(argumentErrors(lineinfile, { dest: path, value: 'x', regex: 'a', backrefs: true }), [], 'aliases count as their argument');
  assert.equal(argumentErrors(lineinfile, { path, regex: 'a', state: 'absent' }), []);
});

test.run();
