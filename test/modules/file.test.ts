import { link, lstat, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { file } from '../../modules/file.js';
import { argumentErrors, moduleContext, removeDir, runModule, snapshotTree, tempDir } from '../support/module-context.js';

let dir = '';
test.before.each(async () => {
  dir = await tempDir();
});
test.after.each(async () => {
  await removeDir(dir);
});

test('touch is changed every time, as in Ansible, and keeps content', async () => {
  const path = join(dir, 't');
  await writeFile(path, 'keep');
  const first = await runModule(file, { path, state: 'touch' }, moduleContext());
  assert.is(first.status, 'changed');
  assert.equal(first.changes.map((c) => c.summary), [`update the timestamps of ${path}`]);
  assert.is((await runModule(file, { path, state: 'touch' }, moduleContext())).status, 'changed');
  assert.is((await stat(path)).size, 4);
});

test('state defaults to what exists: mode on an existing directory', async () => {
  const path = join(dir, 'd');
  await mkdir(path, { mode: 0o755 });
  const got = await runModule(file, { path, mode: '0700' }, moduleContext());
  assert.is(got.status, 'changed');
  assert.is((await stat(path)).mode & 0o7777, 0o700);
  assert.is(got.data.state, 'directory');
});

test('a hard link to the same inode is ok; to another needs force', async () => {
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  await writeFile(a, 'A');
  await writeFile(b, 'B');
  await link(a, join(dir, 'h'));
  const same = await runModule(file, { path: join(dir, 'h'), src: a, state: 'hard' }, moduleContext());
  assert.is(same.status, 'ok');
  assert.is(same.reason, `${join(dir, 'h')} is already a hard link to ${a}`);
  const other = await runModule(file, { path: join(dir, 'h'), src: b, state: 'hard' }, moduleContext());
  assert.is(other.status, 'failed');
  assert.is(other.msg, 'Cannot link, different hard link exists at destination');
  const forced = await runModule(file, { path: join(dir, 'h'), src: b, state: 'hard', force: true }, moduleContext());
  assert.is(forced.status, 'changed');
  assert.is((await stat(join(dir, 'h'))).ino, (await stat(b)).ino);
});

test('link with force replaces a file and an empty directory, refuses a full one', async () => {
  const target = join(dir, 'target');
  await writeFile(target, 'x');
  await writeFile(join(dir, 'f'), 'y');
  assert.is((await runModule(file, { path: join(dir, 'f'), src: target, state: 'link', force: true }, moduleContext())).status, 'changed');
  assert.ok((await lstat(join(dir, 'f'))).isSymbolicLink());
  await mkdir(join(dir, 'empty'));
  assert.is((await runModule(file, { path: join(dir, 'empty'), src: target, state: 'link', force: true }, moduleContext())).status, 'changed');
  await mkdir(join(dir, 'full'));
  await writeFile(join(dir, 'full', 'x'), '');
  const refused = await runModule(file, { path: join(dir, 'full'), src: target, state: 'link', force: true }, moduleContext());
  assert.is(refused.msg, `the directory ${join(dir, 'full')} is not empty, refusing to convert it`);
});

test('a dangling link needs force', async () => {
  const got = await runModule(file, { path: join(dir, 'l'), src: 'nowhere', state: 'link', force: true }, moduleContext());
  assert.is(got.status, 'changed');
  assert.is((await runModule(file, { path: join(dir, 'l'), src: 'nowhere', state: 'link', force: true }, moduleContext())).status, 'ok');
});

test('check mode predicts every state change and changes nothing', async () => {
  await writeFile(join(dir, 'f'), 'x');
  await mkdir(join(dir, 'd'));
  const tasks = [
    { path: join(dir, 'new/deep'), state: 'directory' },
    { path: join(dir, 'f'), state: 'absent' },
    { path: join(dir, 'd'), state: 'absent' },
    { path: join(dir, 't'), state: 'touch' },
    { path: join(dir, 'l'), src: join(dir, 'f'), state: 'link' },
    { path: join(dir, 'f'), mode: '0600' },
  ];
  const before = await snapshotTree(dir);
  for (const args of tasks) {
    const got = await runModule(file, args, moduleContext({ check: true }));
    assert.is(got.status, 'changed', JSON.stringify(args));
    assert.ok(got.diffs.length > 0, `a diff for ${JSON.stringify(args)}`);
  }
  assert.equal(await snapshotTree(dir), before);
});

test('argument errors as Ansible words them', async () => {
  assert.equal(argumentErrors(file, { path: join(dir, 'x'), state: 'file', recurse: true }), ["recurse option requires state to be 'directory'"]);
  assert.equal(argumentErrors(file, { path: join(dir, 'x'), src: '/etc', state: 'directory' }), ["src option requires state to be 'link' or 'hard'"]);
  assert.equal(argumentErrors(file, { path: '/a', dest: '/b' }), ['parameters are mutually exclusive: path|dest']);
  // Without state, the state comes from the path (a file here): the module applies the same rules itself.
  await writeFile(join(dir, 'plain'), '');
  const recurse = await runModule(file, { path: join(dir, 'plain'), recurse: true, mode: '0600' }, moduleContext());
  assert.is(recurse.msg, "recurse option requires state to be 'directory'");
  const src = await runModule(file, { path: join(dir, 'plain'), src: '/etc' }, moduleContext());
  assert.is(src.msg, "src option requires state to be 'link' or 'hard'");
  await rm(join(dir, 'plain'));
  const newLink = await runModule(file, { path: join(dir, 'x'), state: 'link' }, moduleContext());
  assert.is(newLink.msg, 'src is required for creating new symlinks');
  assert.equal(await readdir(dir), []);
});

test.run();
