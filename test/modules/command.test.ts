import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { command } from '../../modules/command.js';
import { splitWords } from '../../modules/common/split-words.js';
import { argumentErrors, moduleContext, removeDir, runModule, snapshotTree, tempDir } from '../support/module-context.js';

let dir = '';
const cwd = process.cwd();
test.before.each(async () => {
  dir = await tempDir();
  // Relative canaries land here if anything were ever run by a shell.
  process.chdir(dir);
});
test.after.each(async () => {
  process.chdir(cwd);
  await removeDir(dir);
});

test('splitWords splits like shlex.split and expands nothing', () => {
  assert.equal(splitWords(`echo "a b" 'c'`), ['echo', 'a b', 'c']);
  assert.equal(splitWords(`a\\ b "x\\"y" 'it''s' $HOME *`), ['a b', 'x"y', 'its', '$HOME', '*']);
  assert.equal(splitWords(`  x   "" y `), ['x', '', 'y']);
  assert.throws(() => splitWords(`echo "open`), /No closing quotation/);
});

test('runs argv without a shell and registers what Ansible registers', async () => {
  const got = await runModule(command, { cmd: `echo "a b" 'c'` }, moduleContext());
  assert.is(got.status, 'changed');
  assert.equal(got.data.cmd, ['echo', 'a b', 'c']);
  assert.is(got.data.rc, 0);
  assert.is(got.data.stdout, 'a b c');
  assert.equal(got.data.stdout_lines, ['a b c']);
  assert.is(got.data.stderr, '');
  assert.equal(got.data.stderr_lines, []);
  assert.is(got.data.msg, '');
  assert.match(String(got.data.start), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  assert.match(String(got.data.delta), /^0:00:\d\d\.\d{6}$/);
});

test('a non-zero exit fails with "non-zero return code" and keeps the output', async () => {
  const got = await runModule(command, { cmd: 'ls /nonexistent-phoenix' }, moduleContext());
  assert.is(got.status, 'failed');
  assert.is(got.msg, 'non-zero return code');
  assert.is(got.data.rc, 2);
  assert.match(String(got.data.stderr), /nonexistent-phoenix/);
});

test('shell syntax in a free-form command is passed as literal words', async () => {
  const got = await runModule(command, { cmd: 'echo $(touch canary) `touch canary2` ; touch canary3 && x | y > out' }, moduleContext());
  assert.is(got.data.stdout, '$(touch canary) `touch canary2` ; touch canary3 && x | y > out');
  for (const name of ['canary', 'canary2', 'canary3', 'out']) assert.not.ok(existsSync(join(dir, name)), name);
});

test('argv words with quotes and newlines are passed unchanged', async () => {
  const word = `it's "quoted"\n$(touch canary);\`touch canary2\``;
  const got = await runModule(command, { argv: ['printf', '%s', word] }, moduleContext());
  assert.is(got.data.stdout, word);
  assert.not.ok(existsSync(join(dir, 'canary')));
  assert.not.ok(existsSync(join(dir, 'canary2')));
});

test('creates: an existing match means ok with a reason, in check mode too', async () => {
  await writeFile(join(dir, 'done.flag'), '');
  for (const check of [false, true]) {
    const got = await runModule(command, { cmd: 'touch ran', creates: join(dir, '*.flag') }, moduleContext({ check }));
    assert.is(got.status, 'ok');
    assert.is(got.reason, `${check ? 'Would' : 'Did'} not run command since '${join(dir, '*.flag')}' exists`);
    assert.is(got.data.stdout, `skipped, since ${join(dir, '*.flag')} exists`);
    assert.is(got.data.rc, 0);
  }
  assert.not.ok(existsSync(join(dir, 'ran')));
});

test('removes: a missing path means ok; a present one runs', async () => {
  const missing = await runModule(command, { cmd: 'touch ran', removes: join(dir, 'gone') }, moduleContext());
  assert.is(missing.status, 'ok');
  assert.is(missing.reason, `Did not run command since '${join(dir, 'gone')}' does not exist`);
  await writeFile(join(dir, 'there'), '');
  const present = await runModule(command, { cmd: `rm ${join(dir, 'there')}`, removes: join(dir, 'there') }, moduleContext());
  assert.is(present.status, 'changed');
  const again = await runModule(command, { cmd: `rm ${join(dir, 'there')}`, removes: join(dir, 'there') }, moduleContext());
  assert.is(again.status, 'ok');
});

test('a hostile creates pattern is globbed, never executed', async () => {
  const pattern = `${dir}/x'$(touch canary)"\`touch canary2\`*`;
  const got = await runModule(command, { cmd: 'true', creates: pattern }, moduleContext());
  assert.is(got.status, 'changed');
  assert.not.ok(existsSync(join(dir, 'canary')));
  assert.not.ok(existsSync(join(dir, 'canary2')));
  await writeFile(join(dir, `x'$(touch canary)"\`touch canary2\`-made`), '');
  const matched = await runModule(command, { cmd: 'true', creates: pattern }, moduleContext());
  assert.is(matched.status, 'ok');
});

test('check mode: skipped without creates/removes, changed when they say it would run; nothing runs', async () => {
  const before = await snapshotTree(dir);
  const skipped = await runModule(command, { cmd: 'touch ran' }, moduleContext({ check: true }));
  assert.is(skipped.status, 'skipped');
  assert.is(skipped.msg, 'Command would have run if not in check mode');
  const would = await runModule(command, { cmd: 'touch ran', creates: join(dir, 'ran') }, moduleContext({ check: true }));
  assert.is(would.status, 'changed');
  assert.is(would.data.msg, 'Command would have run if not in check mode');
  assert.equal(await snapshotTree(dir), before);
});

test('chdir, stdin and env', async () => {
  await mkdir(join(dir, 'sub dir'));
  const pwd = await runModule(command, { cmd: 'pwd', chdir: join(dir, 'sub dir') }, moduleContext());
  assert.is(pwd.data.stdout, join(dir, 'sub dir'));
  const cat = await runModule(command, { cmd: 'cat', stdin: 'line' }, moduleContext());
  assert.is(cat.data.stdout, 'line');
  const raw = await runModule(command, { argv: ['od', '-c'], stdin: 'x', stdin_add_newline: false }, moduleContext());
  assert.not.match(String(raw.data.stdout), /\\n/);
  const env = await runModule(command, { cmd: 'printenv PHOENIX_T' }, moduleContext({ env: { PHOENIX_T: 'v $(x)' } }));
  assert.is(env.data.stdout, 'v $(x)');
  await writeFile(join(dir, 'sub dir', 'made'), '');
  const relative = await runModule(command, { cmd: 'true', chdir: join(dir, 'sub dir'), creates: 'made' }, moduleContext());
  assert.is(relative.status, 'ok');
});

test('argument errors: nothing to run, or both cmd and argv', async () => {
  assert.equal(argumentErrors(command, {}), ['no command given']);
  assert.equal(argumentErrors(command, { cmd: '  ' }), ['no command given']);
  assert.equal(argumentErrors(command, { cmd: 'ls', argv: ['ls'] }), ['only command or argv can be given, not both']);
  assert.equal(argumentErrors(command, { cmd: '', argv: ['ls'] }), [], 'a blank cmd beside argv is no command');
  assert.match(argumentErrors(command, { cmd: 'echo "open' })[0], /^cmd must be a command line whose quotes are all closed/);
  assert.match(argumentErrors(command, { cmd: 'echo \\' })[0], /does not end in a lone backslash/);
  assert.equal(argumentErrors(command, { cmd: `a\\ b "x\\"y" 'it''s'` }), []);
  assert.equal(command.freeForm, 'cmd');
});

test.run();
