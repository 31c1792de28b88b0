import { existsSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copy } from '../../modules/copy.js';
import { argumentErrors, moduleContext, removeDir, runModule, tempDir } from '../support/module-context.js';

let dir = '';
test.before.each(async () => {
  dir = await tempDir();
});
test.after.each(async () => {
  await removeDir(dir);
});

test('backup keeps the old file under Ansible’s name pattern', async () => {
  const dest = join(dir, 'conf');
  await writeFile(dest, 'old\n');
  const got = await runModule(copy, { content: 'new\n', dest, backup: true }, moduleContext());
  assert.is(got.status, 'changed');
  const backup = String(got.data.backup_file);
  assert.match(backup, new RegExp(`^${dest}\\.\\d+\\.\\d{4}-\\d\\d-\\d\\d@\\d\\d:\\d\\d:\\d\\d~$`));
  assert.is(await readFile(backup, 'utf8'), 'old\n');
  assert.is(await readFile(dest, 'utf8'), 'new\n');
});

test('an update keeps the existing mode when none is given; no temp file is left', async () => {
  const dest = join(dir, 'script');
  await writeFile(dest, 'v1', { mode: 0o750 });
  await runModule(copy, { content: 'v2', dest }, moduleContext());
  assert.is((await stat(dest)).mode & 0o7777, 0o750);
  assert.equal(await readdir(dir), ['script']);
});

test('structured content is written as JSON, as Ansible does', async () => {
  const dest = join(dir, 'data.json');
  await runModule(copy, { content: { a: [1, 2] }, dest }, moduleContext());
  assert.is(await readFile(dest, 'utf8'), '{"a":[1,2]}');
});

test('registered values: dest, checksum, md5sum, size, state', async () => {
  const dest = join(dir, 'x');
  const got = await runModule(copy, { content: 'hello\n', dest }, moduleContext());
  assert.is(got.data.dest, dest);
  assert.is(got.data.checksum, 'f572d396fae9206628714fb2ce00f72e94f2258f');
  assert.is(got.data.md5sum, 'b1946ac92492d2347c6235b4d2611184');
  assert.is(got.data.size, 6);
  assert.is(got.data.state, 'file');
});

test('validate checks the new content before it replaces the file', async () => {
  const dest = join(dir, `sudoers '$(touch canary)'`);
  await writeFile(dest, 'good old\n');
  const bad = await runModule(copy, { content: 'bad\n', dest, validate: 'grep -q good %s' }, moduleContext());
  assert.is(bad.status, 'failed');
  assert.is(bad.msg, 'failed to validate');
  assert.is(bad.data.exit_status, 1);
  assert.is(await readFile(dest, 'utf8'), 'good old\n');
  assert.equal((await readdir(dir)).sort(), [`sudoers '$(touch canary)'`]);
  const good = await runModule(copy, { content: 'good new\n', dest, validate: 'grep -q good %s' }, moduleContext());
  assert.is(good.status, 'changed');
  assert.is(await readFile(dest, 'utf8'), 'good new\n');
  assert.equal((await readdir(dir)).sort(), [`sudoers '$(touch canary)'`]);
  assert.not.ok(existsSync(join(process.cwd(), 'canary')));
});

test('src and content together, or neither, fail', async () => {
  const dest = join(dir, 'x');
  assert.equal(argumentErrors(copy, { content: 'a', src: 'b', dest }), ['parameters are mutually exclusive: src|content']);
  assert.equal(argumentErrors(copy, { dest }), ['src (or content) is required']);
  const missing = await runModule(copy, { src: 'nope', dest }, moduleContext({ baseDir: dir }));
  assert.match(String(missing.msg), /^could not find src=/);
});

test.run();
