import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Connection } from '../../interpreter/connection/types.js';
import { command } from '../../modules/command.js';
import { copy } from '../../modules/copy.js';
import { file } from '../../modules/file.js';
import { lineinfile } from '../../modules/lineinfile.js';
import { stat } from '../../modules/stat.js';
import { template } from '../../modules/template.js';
import type { Module } from '../../modules/types.js';
import { moduleContext, removeDir, runModule, tempDir } from '../support/module-context.js';

/** Counts the operations a module sends over a real LocalConnection: each is one round trip on SSH. */
function counting(base: Connection): { conn: Connection; count: () => number } {
  let n = 0;
  const conn: Connection = {
    host: base.host,
    run: (c, o) => (n++, base.run(c, o)),
    put: (c, p, o) => (n++, base.put(c, p, o)),
    get: (p) => (n++, base.get(p)),
    close: () => base.close(),
  };
  return { conn, count: () => n };
}

let dir = '';
test.before.each(async () => {
  dir = await tempDir();
  await writeFile(join(dir, 'f'), 'line\n', { mode: 0o644 });
  await writeFile(join(dir, 't.j2'), 'line\n');
  await mkdir(join(dir, 'd'), { mode: 0o755 });
});
test.after.each(async () => {
  await removeDir(dir);
});

async function roundTrips(module: Module, args: Record<string, unknown>): Promise<number> {
  const ctx = moduleContext({ baseDir: dir });
  const { conn, count } = counting(ctx.conn);
  const got = await runModule(module, args, { ...ctx, conn });
  assert.is(got.status, 'ok', `${module.name} is a no-op here (${got.msg ?? got.changes.map((c) => c.summary).join('; ')})`);
  return count();
}

test('a no-op task costs one remote operation', async () => {
  const f = join(dir, 'f');
  assert.is(await roundTrips(copy, { content: 'line\n', dest: f, mode: '0644' }), 1, 'copy');
  assert.is(await roundTrips(template, { src: 't.j2', dest: f }), 1, 'template');
  assert.is(await roundTrips(file, { path: join(dir, 'd'), state: 'directory', mode: '0755' }), 1, 'file directory');
  assert.is(await roundTrips(file, { path: join(dir, 'none'), state: 'absent' }), 1, 'file absent');
  assert.is(await roundTrips(lineinfile, { path: f, line: 'line' }), 1, 'lineinfile');
  assert.is(await roundTrips(stat, { path: f }), 1, 'stat');
  assert.is(await roundTrips(command, { cmd: 'false', creates: f }), 1, 'command creates');
});

test('a no-op link, and a no-op lineinfile that manages the mode, cost one remote operation too', async () => {
  const f = join(dir, 'f');
  await symlink(f, join(dir, 'l'));
  assert.is(await roundTrips(file, { path: join(dir, 'l'), src: f, state: 'link' }), 1, 'file link (absolute src)');
  await symlink('f', join(dir, 'rel'));
  assert.is(await roundTrips(file, { path: join(dir, 'rel'), src: 'f', state: 'link' }), 1, 'file link (relative src)');
  assert.is(await roundTrips(lineinfile, { path: f, line: 'line', mode: '0644' }), 1, 'lineinfile with mode');
});

test.run();
