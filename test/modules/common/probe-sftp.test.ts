import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionPool } from '../../../interpreter/connection/pool.js';
import { runKeeper } from '../../../interpreter/connection/keeper/server.js';
import type { Connection } from '../../../interpreter/connection/types.js';
import { probePath, type PathInfo, type ProbeOptions } from '../../../modules/common/probe.js';
import { startSshd, TEST_USER, type TestSshd } from '../../support/sshd.js';
import { sshVars, tempHome } from '../../interpreter/connection/fixture.js';

// A no-op probe may be answered over SFTP (stat, read) instead of the probe command: for every kind of path the
// answer must be the command's, and whatever SFTP cannot answer the same way must still go to the command.
const test = suite('probe over SFTP answers like the probe command (real sshd)');
let sshd: TestSshd;
let pool: ConnectionPool;
let conn: Connection;
let dir: string;
let uid: number;

const COMPARED: Array<keyof PathInfo> = ['kind', 'mode', 'size', 'uid', 'gid', 'owner', 'group', 'checksum', 'linkTarget', 'linkSource'];

async function same(path: string, options: ProbeOptions, viaSftp: boolean, on: Connection = conn): Promise<PathInfo | null> {
  const quick = await probePath(on, path, options);
  const full = await probePath(on, path, { ...options, basic: undefined });
  assert.is(quick?.sftp === true, viaSftp, `${path} ${JSON.stringify(options)} answered over SFTP: ${quick?.sftp === true}`);
  if (full === null || quick === null) {
    assert.is(quick, full, path);
    return null;
  }
  for (const key of COMPARED) assert.equal(quick[key], full[key], `${path}: ${key}`);
  assert.is(Math.floor(quick.mtime), Math.floor(full.mtime), `${path}: mtime`);
  return quick;
}

test.before(async () => {
  sshd = await startSshd();
  const home = tempHome([sshd.knownHostsLine]);
  pool = new ConnectionPool({
    hostVars: () => sshVars(sshd, TEST_USER), home, env: {}, timeouts: { connectMs: 5000 },
  });
  conn = await pool.get('h');
  uid = Number(execFileSync('id', ['-u', TEST_USER], { encoding: 'utf8' }));
  dir = mkdtempSync(join(tmpdir(), 'phoenix-probe-sftp-'));
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'd'), { mode: 0o750 });
  chmodSync(join(dir, 'd'), 0o750);
  writeFileSync(join(dir, 'f'), 'some content\n', { mode: 0o640 });
  chownSync(join(dir, 'f'), uid, 0);
  writeFileSync(join(dir, 'empty'), '');
  writeFileSync(join(dir, 'big'), Buffer.alloc(2 * 1024 * 1024, 7));
  writeFileSync(join(dir, 'stranger'), 'x');
  chownSync(join(dir, 'stranger'), 4242, 4242);
  symlinkSync(join(dir, 'd'), join(dir, 'link-to-dir'));
  symlinkSync('f', join(dir, 'relative-link'));
  symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'));
  execFileSync('mkfifo', [join(dir, 'fifo')]);
});

test.after(async () => {
  await pool.closeAll();
  await sshd.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test('directories, files with a checksum, links and absent paths come from SFTP with the same answer', async () => {
  await same(join(dir, 'd'), { basic: true }, true);
  await same(join(dir, 'f'), { basic: true, checksum: 'sha1' }, true);
  await same(join(dir, 'f'), { basic: true, checksum: 'sha256' }, true);
  await same(join(dir, 'empty'), { basic: true, checksum: 'sha1' }, true);
  await same(join(dir, 'link-to-dir'), { basic: true }, true);
  await same(join(dir, 'relative-link'), { basic: true }, true);
  await same(join(dir, 'relative-link'), { basic: true, follow: true, checksum: 'sha1' }, true);
  assert.is(await same(join(dir, 'absent'), { basic: true }, false), null);
  assert.is(await same(join(dir, 'f', 'under-a-file'), { basic: true }, false), null);
});

test('what SFTP cannot answer like the command goes to the command', async () => {
  // stat of a dangling link: the command answers (and fails the same way as without SFTP)
  const dangling = (options: ProbeOptions) => probePath(conn, join(dir, 'dangling'), options).catch((e: Error) => e.message);
  assert.is(await dangling({ basic: true, follow: true }), await dangling({ follow: true }));
  assert.match(String(await dangling({ basic: true, follow: true })), 'cannot stat');
  await same(join(dir, 'dangling'), { basic: true }, true); // the link itself: sftp-server resolves like readlink -f
  await same(join(dir, 'big'), { basic: true, checksum: 'sha1' }, false); // over 1 MiB: hashed on the host
  await same(join(dir, 'stranger'), { basic: true }, false); // uid 4242 has no name in /etc/passwd
  await same(join(dir, 'fifo'), { basic: true }, false);
  await same(join(dir, 'f'), { basic: 'except-files' }, false); // the caller needs the link count
  await same(join(dir, 'd'), { basic: 'except-files' }, true);
  await same(join(dir, 'f'), { basic: true, mime: true }, false);
});

test('a probe that needs sudo is not answered over SFTP (it would see the files as the login user)', async () => {
  assert.is(await conn.statPath!(join(dir, 'd'), { become: true }), undefined);
  assert.ok(await conn.statPath!(join(dir, 'd'), { become: false }));
});

test('reads over SFTP: empty, one chunk exactly, several chunks, missing', async () => {
  for (const size of [0, 1, 64 * 1024, 64 * 1024 + 1, 200 * 1024 + 3]) {
    const content = Buffer.alloc(size, 0).map((_, i) => (i * 31) % 251);
    writeFileSync(join(dir, 'read-me'), content);
    const got = await conn.get(join(dir, 'read-me'));
    assert.ok(got!.equals(content), `${size} bytes`);
  }
  assert.is(await conn.get(join(dir, 'not-there')), null);
});

test('through the keeper: null (absent) and "cannot answer" stay apart, names come along', async () => {
  const socket = join(dir, 'keeper.sock');
  const keeper = runKeeper(socket, 300);
  const kept = new ConnectionPool({
    hostVars: () => sshVars(sshd, TEST_USER), home: tempHome([sshd.knownHostsLine]), env: {},
    keeper: { socketPath: socket, persistMs: 300, start: () => () => undefined },
  });
  const remote = await kept.get('k');
  assert.is(await remote.statPath!(join(dir, 'absent'), {}), null);
  assert.is(await remote.statPath!(join(dir, 'd'), { become: true }), undefined);
  assert.is((await remote.idNames!())?.users[String(uid)], TEST_USER);
  await same(join(dir, 'f'), { basic: true, checksum: 'sha1' }, true, remote);
  await same(join(dir, 'link-to-dir'), { basic: true }, true, remote);
  await kept.closeAll();
  await keeper;
});

test.run();
