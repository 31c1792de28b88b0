import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { shell } from '../../modules/shell.js';
import { moduleContext, removeDir, runModule, snapshotTree, tempDir } from '../support/module-context.js';

let dir = '';
test.before.each(async () => {
  dir = await tempDir();
});
test.after.each(async () => {
  await removeDir(dir);
});

test('the string is shell code: pipes, expansions and stderr, registered as Ansible does', async () => {
  const got = await runModule(shell, { cmd: 'echo $PHOENIX_T | tr a-z A-Z; echo err >&2' }, moduleContext({ env: { PHOENIX_T: 'abc' } }));
  assert.is(got.status, 'changed');
  assert.is(got.data.cmd, 'echo $PHOENIX_T | tr a-z A-Z; echo err >&2');
  assert.is(got.data.stdout, 'ABC');
  assert.equal(got.data.stderr_lines, ['err']);
  assert.is(got.data.rc, 0);
});

test('a failing pipeline fails the task with its rc', async () => {
  const got = await runModule(shell, { cmd: 'exit 3' }, moduleContext());
  assert.is(got.status, 'failed');
  assert.is(got.msg, 'non-zero return code');
  assert.is(got.data.rc, 3);
});

test('executable selects the interpreter', async () => {
  const got = await runModule(shell, { cmd: 'echo ${BASH_VERSION:+bash}', executable: '/bin/bash' }, moduleContext());
  assert.is(got.data.stdout, 'bash');
});

test('chdir with a hostile directory name stays a directory name', async () => {
  const sub = join(dir, `d'$(touch canary)`);
  await mkdir(sub);
  const got = await runModule(shell, { cmd: 'pwd', chdir: sub }, moduleContext());
  assert.is(got.data.stdout, sub);
  assert.not.ok(existsSync(join(dir, 'canary')));
  assert.not.ok(existsSync(join(process.cwd(), 'canary')));
});

test('check mode skips unless creates/removes decide; creates makes it idempotent', async () => {
  const flag = join(dir, 'flag');
  const before = await snapshotTree(dir);
  const skipped = await runModule(shell, { cmd: `touch ${flag}` }, moduleContext({ check: true }));
  assert.is(skipped.status, 'skipped');
  const predicted = await runModule(shell, { cmd: `touch ${flag}`, creates: flag }, moduleContext({ check: true }));
  assert.is(predicted.status, 'changed');
  assert.equal(await snapshotTree(dir), before);
  assert.is((await runModule(shell, { cmd: `touch ${flag}`, creates: flag }, moduleContext())).status, 'changed');
  const again = await runModule(shell, { cmd: `touch ${flag}`, creates: flag }, moduleContext());
  assert.is(again.status, 'ok');
  assert.is(again.reason, `Did not run command since '${flag}' exists`);
});

test('the schema rejects command-only arguments such as argv', async () => {
  try {
    await runModule(shell, { cmd: 'true', argv: ['true'] }, moduleContext());
    assert.unreachable('argv accepted');
  } catch (error) {
    assert.match((error as Error).message, /unsupported parameter 'argv'/);
  }
});

test.run();
