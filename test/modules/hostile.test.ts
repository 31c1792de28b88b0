import { existsSync } from 'node:fs';
import { mkdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copy } from '../../modules/copy.js';
import { file } from '../../modules/file.js';
import { lineinfile } from '../../modules/lineinfile.js';
import { moduleContext, removeDir, runModule, tempDir } from '../support/module-context.js';

/**
 * Names and values a shell would execute if anything reached it unquoted. The canaries are relative, and every test
 * runs with its temp directory as the working directory, so an injection would create them there.
 */
const HOSTILE = [`q'uote`, `d"q`, '$(touch canary1)', '`touch canary2`', 'semi;touch canary3', 'new\nline', '$HOME*?[a]'];

let dir = '';
const cwd = process.cwd();
test.before.each(async () => {
  dir = await tempDir();
  process.chdir(dir);
});
test.after.each(async () => {
  for (const n of [1, 2, 3]) assert.not.ok(existsSync(join(dir, `canary${n}`)), `canary${n} was created: something ran`);
  process.chdir(cwd);
  await removeDir(dir);
});

test('copy: hostile destination names and content are written literally, idempotently', async () => {
  for (const name of HOSTILE) {
    const dest = join(dir, name);
    const content = `${name} $(touch canary1)\n`;
    assert.is((await runModule(copy, { dest, content, mode: '0600' }, moduleContext())).status, 'changed', name);
    assert.is(await readFile(dest, 'utf8'), content);
    const again = await runModule(copy, { dest, content, mode: '0600' }, moduleContext());
    assert.is(again.status, 'ok', name);
  }
});

test('file: directories, links and removal with hostile names', async () => {
  for (const name of HOSTILE) {
    const path = join(dir, `dir ${name}`);
    assert.is((await runModule(file, { path, state: 'directory', mode: '0700' }, moduleContext())).status, 'changed', name);
    assert.is((await runModule(file, { path, state: 'directory', mode: '0700' }, moduleContext())).status, 'ok', name);
    const link = join(dir, `link ${name}`);
    assert.is((await runModule(file, { path: link, src: path, state: 'link' }, moduleContext())).status, 'changed', name);
    assert.is(await readlink(link), path);
    assert.is((await runModule(file, { path: link, src: path, state: 'link' }, moduleContext())).status, 'ok', name);
    assert.is((await runModule(file, { path, state: 'absent' }, moduleContext())).status, 'changed', name);
    assert.not.ok(existsSync(path));
  }
});

test('file: recurse over hostile names inside the directory', async () => {
  const top = join(dir, 'top');
  await mkdir(top);
  for (const name of HOSTILE) await writeFile(join(top, name), 'x', { mode: 0o600 });
  const args = { path: top, state: 'directory', mode: 'go+r', recurse: true };
  assert.is((await runModule(file, args, moduleContext())).status, 'changed');
  assert.is((await runModule(file, args, moduleContext())).status, 'ok');
});

test('lineinfile: hostile path, line, regexp and insertafter are data', async () => {
  for (const name of HOSTILE) {
    const path = join(dir, name);
    await writeFile(path, 'a\n$(touch canary1)\nz\n');
    const args = { path, regexp: '^\\$\\(touch', line: `'$(touch canary2)' "\`touch canary3\`"`, insertafter: '`x`' };
    assert.is((await runModule(lineinfile, args, moduleContext())).status, 'changed', name);
    assert.is(await readFile(path, 'utf8'), `a\n'$(touch canary2)' "\`touch canary3\`"\nz\n`);
    assert.is((await runModule(lineinfile, args, moduleContext())).status, 'ok', name);
  }
});

test.run();
