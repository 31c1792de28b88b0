import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { template } from '../../modules/template.js';
import { moduleContext, removeDir, runModule, snapshotTree, tempDir } from '../support/module-context.js';

let dir = '';
test.before.each(async () => {
  dir = await tempDir();
  await writeFile(join(dir, 'app.conf.j2'), 'name={{ name }}\nversion={{ nvidia.version }}\n');
});
test.after.each(async () => {
  await removeDir(dir);
});

const vars = { name: 'gpu <&> "node"', nvidia: { version: '580.76.05' } };

test('renders with the task variables (no HTML escaping), then re-runs as ok', async () => {
  const dest = join(dir, 'app.conf');
  const args = { src: 'app.conf.j2', dest, mode: '0640' };
  const before = await snapshotTree(dir);
  const checked = await runModule(template, args, moduleContext({ vars, baseDir: dir, check: true }));
  assert.is(checked.status, 'changed');
  assert.equal(await snapshotTree(dir), before, 'check mode wrote nothing');
  const expected = 'name=gpu <&> "node"\nversion=580.76.05\n';
  assert.equal(checked.diffs, [{ path: dest, before: '', after: expected }]);
  const got = await runModule(template, args, moduleContext({ vars, baseDir: dir }));
  assert.is(got.status, 'changed');
  assert.equal(got.changes.map((c) => c.summary), checked.changes.map((c) => c.summary));
  assert.is(await readFile(dest, 'utf8'), expected);
  const again = await runModule(template, args, moduleContext({ vars, baseDir: dir }));
  assert.is(again.status, 'ok');
  assert.is(again.reason, `${dest} already has the requested content and attributes`);
});

test('a changed variable changes the file, with a diff', async () => {
  const dest = join(dir, 'app.conf');
  await runModule(template, { src: 'app.conf.j2', dest }, moduleContext({ vars, baseDir: dir }));
  const other = { ...vars, nvidia: { version: '590.1' } };
  const got = await runModule(template, { src: 'app.conf.j2', dest }, moduleContext({ vars: other, baseDir: dir, diff: true }));
  assert.is(got.status, 'changed');
  assert.match(got.diffs[0].before, /580\.76\.05/);
  assert.match(got.diffs[0].after, /590\.1/);
});

test('an undefined variable is an error, and nothing is written', async () => {
  const dest = join(dir, 'out');
  let failed = false;
  try {
    const got = await runModule(template, { src: 'app.conf.j2', dest }, moduleContext({ vars: { name: 'x' }, baseDir: dir }));
    failed = got.status === 'failed';
  } catch (error) {
    failed = /nvidia/.test((error as Error).message);
  }
  assert.ok(failed);
  assert.not.ok((await snapshotTree(dir)).out);
});

test('a missing template file fails the task', async () => {
  const got = await runModule(template, { src: 'nope.j2', dest: join(dir, 'x') }, moduleContext({ vars, baseDir: dir }));
  assert.is(got.status, 'failed');
  assert.match(String(got.msg), /^Could not find or access 'nope\.j2'/);
});

test.run();
