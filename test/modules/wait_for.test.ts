import { rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '../../modules/wait_for.js';
import { argumentErrors, moduleContext, removeDir, runModule, tempDir } from '../support/module-context.js';

let dir = '';
test.before.each(async () => {
  dir = await tempDir();
});
test.after.each(async () => {
  await removeDir(dir);
});

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer((socket) => socket.end());
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

test('a present path is ok at once, with Ansible keys', async () => {
  const path = join(dir, 'ready');
  await writeFile(path, 'x');
  const got = await runModule(waitFor, { path, timeout: 5 }, moduleContext());
  assert.is(got.status, 'ok');
  assert.match(String(got.reason), /exists after \d+s$/);
  assert.is(got.data.path, path);
  assert.equal(got.data.match_groups, []);
});

test('waits for a path that appears later', async () => {
  const path = join(dir, 'later');
  setTimeout(() => void writeFile(path, 'x'), 300);
  const got = await runModule(waitFor, { path, timeout: 20, sleep: 0.1 }, moduleContext());
  assert.is(got.status, 'ok');
});

test('search_regex in a file, with groups', async () => {
  const path = join(dir, 'log');
  await writeFile(path, 'starting\nlistening on port 8080\n');
  const got = await runModule(waitFor, { path, search_regex: '^listening on port (?P<port>\\d+)$', timeout: 5 }, moduleContext());
  assert.is(got.status, 'ok');
  assert.equal(got.data.match_groups, ['8080']);
  assert.equal(got.data.match_groupdict, { port: '8080' });
});

test('state absent waits for removal', async () => {
  const path = join(dir, 'lock');
  await writeFile(path, '');
  setTimeout(() => void rm(path), 300);
  const got = await runModule(waitFor, { path, state: 'absent', timeout: 20, sleep: 0.1 }, moduleContext());
  assert.is(got.status, 'ok');
  assert.match(String(got.reason), /is absent/);
});

test('a timeout fails with what the last check saw', async () => {
  const path = join(dir, 'never');
  const got = await runModule(waitFor, { path, timeout: 1, sleep: 0.2 }, moduleContext());
  assert.is(got.status, 'failed');
  assert.is(got.msg, `Timeout when waiting for file ${path} (last check: ${path} does not exist)`);
  const custom = await runModule(waitFor, { path, timeout: 0, msg: 'no luck' }, moduleContext());
  assert.match(String(custom.msg), /^no luck/);
});

test('a TCP port, started and stopped', async () => {
  const { server, port } = await listen();
  const open = await runModule(waitFor, { port, host: '127.0.0.1', timeout: 10 }, moduleContext());
  assert.is(open.status, 'ok');
  assert.is(open.data.port, port);
  await new Promise((resolve) => server.close(resolve));
  const stopped = await runModule(waitFor, { port, state: 'stopped', timeout: 10 }, moduleContext());
  assert.is(stopped.status, 'ok');
  const closed = await runModule(waitFor, { port, timeout: 0 }, moduleContext());
  assert.is(closed.status, 'failed');
  assert.match(String(closed.msg), new RegExp(`^Timeout when waiting for 127\\.0\\.0\\.1:${port} \\(last check: .* closed\\)$`));
});

test('check mode skips, as Ansible does for a module without check support', async () => {
  const got = await runModule(waitFor, { path: join(dir, 'never'), timeout: 100 }, moduleContext({ check: true }));
  assert.is(got.status, 'skipped');
  assert.is(got.msg, 'remote module (wait_for) does not support check mode');
});

test('argument conflicts fail like Ansible', async () => {
  assert.equal(argumentErrors(waitFor, { path: '/x', port: 22 }), ['port and path parameter can not both be passed to wait_for']);
  assert.equal(argumentErrors(waitFor, { path: '/x', state: 'stopped' }), ['state=stopped should only be used for checking a port in the wait_for module']);
  assert.equal(argumentErrors(waitFor, { port: 22, search_regex: 'x' }), ['search_regex with port is not supported by phoenix']);
  assert.equal(argumentErrors(waitFor, { port: 22, state: 'absent' }), ['state=absent should only be used for checking a path']);
  assert.equal(argumentErrors(waitFor, { port: 22, state: 'stopped' }), []);
});

test.run();
