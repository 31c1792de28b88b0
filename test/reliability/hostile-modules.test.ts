import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { command } from '../../modules/command.js';
import { copy } from '../../modules/copy.js';
import { file } from '../../modules/file.js';
import { lineinfile } from '../../modules/lineinfile.js';
import { stat } from '../../modules/stat.js';
import { template } from '../../modules/template.js';
import { moduleContext, runModule } from '../support/module-context.js';
import { findCanaries, hostileString, seededRandom } from './hostile.js';

/**
 * Every module argument that reaches a shell on a real LocalConnection, with seeded hostile values: nothing runs
 * (no CANARY file appears in the working directory or below), and every value arrives exactly (argv elements, file
 * names, file contents, lines). Node-side modules (pct, pct_push, lxc_conf, ...) are in hostile-node.test.ts.
 */
const SEED = 20261125;
const ROUNDS = 25;

let dir = '';
const cwd = process.cwd();
test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'phoenix-hostile-'));
  process.chdir(dir);
});
test.after.each(() => {
  process.chdir(cwd);
  try {
    assert.equal(findCanaries(dir), [], 'a payload ran');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A POSIX sh program that prints each of its arguments followed by NUL. */
const ECHO_ARGS = 'for a in "$@"; do printf "%s\\0" "$a"; done';

test(`command argv: each element arrives as one argument, byte for byte (seed ${SEED})`, async () => {
  const rand = seededRandom(SEED);
  for (let round = 0; round < ROUNDS; round++) {
    const values = Array.from({ length: 1 + Math.floor(rand() * 5) }, () => hostileString(rand, { long: true }));
    const result = await runModule(command, { argv: ['sh', '-c', ECHO_ARGS, 'sh', ...values, 'END'] }, moduleContext());
    assert.is(result.status, 'changed', `round ${round}`);
    assert.equal(String(result.data.stdout).split('\0'), [...values, 'END', ''], `round ${round}`);
    assert.equal(result.data.cmd, ['sh', '-c', ECHO_ARGS, 'sh', ...values, 'END']);
  }
});

test('command chdir and creates: hostile directory and file names are paths, not shell', async () => {
  const rand = seededRandom(SEED + 1);
  for (let round = 0; round < ROUNDS; round++) {
    const name = hostileString(rand, { fileName: true });
    mkdirSync(join(dir, name), { recursive: true });
    const marker = hostileString(rand, { fileName: true });
    const args = { argv: ['sh', '-c', 'pwd; printf x > "$1"', 'sh', marker], chdir: join(dir, name), creates: join(dir, name, marker) };
    const first = await runModule(command, args, moduleContext());
    assert.is(first.status, 'changed', `round ${round}: ${first.msg}`);
    assert.is(String(first.data.stdout), join(dir, name));
    assert.ok(existsSync(join(dir, name, marker)));
    assert.is((await runModule(command, args, moduleContext())).status, 'ok', 'creates found the hostile name');
  }
});

test('file: touch, directory and absent on hostile names', async () => {
  const rand = seededRandom(SEED + 2);
  for (let round = 0; round < ROUNDS; round++) {
    const path = join(dir, hostileString(rand, { fileName: true }));
    assert.is((await runModule(file, { path, state: 'touch', mode: '0600' }, moduleContext())).status, 'changed', path);
    assert.ok(existsSync(path), path);
    assert.is((await runModule(file, { path, state: 'absent' }, moduleContext())).status, 'changed');
    assert.not.ok(existsSync(path));
    assert.is((await runModule(file, { path, state: 'directory', mode: '0700' }, moduleContext())).status, 'changed');
    assert.is((await runModule(file, { path, state: 'directory', mode: '0700' }, moduleContext())).status, 'ok');
    rmSync(path, { recursive: true });
  }
});

test('copy: hostile destination names and contents are written exactly, then ok', async () => {
  const rand = seededRandom(SEED + 3);
  for (let round = 0; round < ROUNDS; round++) {
    const dest = join(dir, hostileString(rand, { fileName: true }));
    const content = hostileString(rand, { long: true });
    assert.is((await runModule(copy, { dest, content, mode: '0644' }, moduleContext())).status, 'changed', dest);
    assert.is(readFileSync(dest, 'utf8'), content);
    assert.is((await runModule(copy, { dest, content, mode: '0644' }, moduleContext())).status, 'ok');
  }
});

test('template: hostile source and destination names, hostile variable values', async () => {
  const rand = seededRandom(SEED + 4);
  for (let round = 0; round < ROUNDS; round++) {
    const src = join(dir, `${hostileString(rand, { fileName: true })}.j2`);
    writeFileSync(src, 'value={{ value }}\n');
    const dest = join(dir, hostileString(rand, { fileName: true }));
    const value = hostileString(rand).replace(/[{}]/g, '');
    const ctx = () => moduleContext({ vars: { value } });
    assert.is((await runModule(template, { src, dest }, ctx())).status, 'changed', dest);
    assert.is(readFileSync(dest, 'utf8'), `value=${value}\n`);
    assert.is((await runModule(template, { src, dest }, ctx())).status, 'ok');
  }
});

test('lineinfile: hostile path, line and (escaped) regexp', async () => {
  const rand = seededRandom(SEED + 5);
  for (let round = 0; round < ROUNDS; round++) {
    const path = join(dir, hostileString(rand, { fileName: true }));
    const old = hostileString(rand, { singleLine: true });
    const line = hostileString(rand, { singleLine: true });
    writeFileSync(path, `first\n${old}\nlast\n`);
    const regexp = `^${old.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
    const args = { path, regexp, line };
    const result = await runModule(lineinfile, args, moduleContext());
    assert.is(result.status, old === line ? 'ok' : 'changed', `round ${round}: ${result.msg}`);
    assert.is(readFileSync(path, 'utf8'), `first\n${line}\nlast\n`);
  }
});

test('stat: hostile names exist, and their neighbours do not', async () => {
  const rand = seededRandom(SEED + 6);
  for (let round = 0; round < ROUNDS; round++) {
    const name = hostileString(rand, { fileName: true });
    writeFileSync(join(dir, name), 'x');
    const found = await runModule(stat, { path: join(dir, name) }, moduleContext());
    assert.is((found.data.stat as { exists: boolean }).exists, true, name);
    const missing = await runModule(stat, { path: join(dir, `${name}.missing`) }, moduleContext());
    assert.is((missing.data.stat as { exists: boolean }).exists, false);
  }
});

test.run();
