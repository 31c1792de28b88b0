import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stat } from '../../modules/stat.js';
import { moduleContext, removeDir, runModule, tempDir } from '../support/module-context.js';

/** The keys ansible-core 2.14 registered for a regular file on this machine (stat of a 3-byte file). */
const ANSIBLE_FILE_KEYS = [
  'atime', 'attr_flags', 'attributes', 'block_size', 'blocks', 'charset', 'checksum', 'ctime', 'dev', 'device_type',
  'executable', 'exists', 'gid', 'gr_name', 'inode', 'isblk', 'ischr', 'isdir', 'isfifo', 'isgid', 'islnk', 'isreg',
  'issock', 'isuid', 'mimetype', 'mode', 'mtime', 'nlink', 'path', 'pw_name', 'readable', 'rgrp', 'roth', 'rusr',
  'size', 'uid', 'version', 'wgrp', 'woth', 'writeable', 'wusr', 'xgrp', 'xoth', 'xusr',
];

let dir = '';
const cwd = process.cwd();
test.before.each(async () => {
  dir = await tempDir();
});
test.after.each(async () => {
  process.chdir(cwd);
  await removeDir(dir);
});

test('a regular file registers the keys and values Ansible does', async () => {
  const path = join(dir, 'f.txt');
  await writeFile(path, 'hi\n');
  await chmod(path, 0o640);
  const got = await runModule(stat, { path }, moduleContext());
  assert.is(got.status, 'ok');
  assert.is(got.reason, `${path} is a file`);
  const s = got.data.stat as Record<string, unknown>;
  assert.equal(Object.keys(s).sort(), ANSIBLE_FILE_KEYS);
  assert.is(s.exists, true);
  assert.is(s.isreg, true);
  assert.is(s.isdir, false);
  assert.is(s.mode, '0640');
  assert.is(s.size, 3);
  assert.is(s.checksum, '55ca6286e3e4f4fba5d0448333fa99fc5a404a73');
  assert.is(s.mimetype, 'text/plain');
  assert.is(s.charset, 'us-ascii');
  assert.is(s.rusr, true);
  assert.is(s.roth, false);
  assert.is(s.uid, process.getuid!());
  assert.type(s.mtime, 'number');
});

test('a missing path registers exists: false', async () => {
  const got = await runModule(stat, { path: join(dir, 'none') }, moduleContext());
  assert.is(got.status, 'ok');
  assert.equal(got.data.stat, { exists: false });
  assert.ok(got.reason?.endsWith('does not exist'));
});

test('a symlink is described, not followed, unless follow: true', async () => {
  await mkdir(join(dir, 'd'));
  await symlink('d', join(dir, 'l'));
  const link = (await runModule(stat, { path: join(dir, 'l') }, moduleContext())).data.stat as Record<string, unknown>;
  assert.is(link.islnk, true);
  assert.is(link.isdir, false);
  assert.is(link.lnk_target, 'd');
  assert.is(link.lnk_source, join(dir, 'd'));
  const followed = (await runModule(stat, { path: join(dir, 'l'), follow: true }, moduleContext())).data.stat as Record<string, unknown>;
  assert.is(followed.isdir, true);
  assert.is(followed.islnk, false);
});

test('aliases and checksum options', async () => {
  const path = join(dir, 'f');
  await writeFile(path, 'abc');
  const sha256 = (await runModule(stat, { dest: path, checksum_algorithm: 'sha256', get_mime: false }, moduleContext())).data.stat as Record<string, unknown>;
  assert.is(sha256.checksum, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.not.ok('mimetype' in sha256);
  const none = (await runModule(stat, { name: path, get_checksum: false }, moduleContext())).data.stat as Record<string, unknown>;
  assert.not.ok('checksum' in none);
});

test('stat is read-only in check mode too', async () => {
  const path = join(dir, 'f');
  await writeFile(path, 'x');
  const got = await runModule(stat, { path }, moduleContext({ check: true }));
  assert.is(got.status, 'ok');
  assert.is((got.data.stat as Record<string, unknown>).exists, true);
});

test('hostile path: quotes, $() and backticks are only ever a file name', async () => {
  // Relative canaries: the shell would create them in its working directory, which is `dir` here.
  process.chdir(dir);
  const name = `a'b"c $(touch canary) \`touch canary2\`;\nx`;
  await writeFile(join(dir, name), 'data');
  const got = await runModule(stat, { path: join(dir, name) }, moduleContext());
  const s = got.data.stat as Record<string, unknown>;
  assert.is(s.exists, true);
  assert.is(s.size, 4);
  const canary = await runModule(stat, { path: join(dir, 'canary') }, moduleContext());
  assert.equal(canary.data.stat, { exists: false });
  assert.equal((await runModule(stat, { path: join(dir, 'canary2') }, moduleContext())).data.stat, { exists: false });
});

test.run();
