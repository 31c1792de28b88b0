import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalConnection } from '../../../interpreter/connection/local.js';
import { ConnectionPool } from '../../../interpreter/connection/pool.js';
import type { Connection } from '../../../interpreter/connection/types.js';
import {
  ancestors, createDirs, dirChanges, ensureDirCommand, missingDirsScript, parseMissingDirs, planDirs, probeMissingDirs, SYSTEM_DIR,
} from '../../../modules/common/parents.js';
import { ModuleFailure } from '../../../modules/types.js';
import { startSshd, TEST_USER, type TestSshd } from '../../support/sshd.js';
import { sshVars, tempHome } from '../../interpreter/connection/fixture.js';

/** A connection that counts the commands it starts (SFTP stats are not commands). */
function counted(conn: Connection): Connection & { commands: string[] } {
  const commands: string[] = [];
  return {
    host: conn.host,
    commands,
    run: (command, options) => { commands.push(command); return conn.run(command, options); },
    put: (c, p, o) => conn.put(c, p, o),
    get: (p) => conn.get(p),
    close: () => Promise.resolve(),
    ...(conn.statPath ? { statPath: conn.statPath.bind(conn) } : {}),
    ...(conn.idNames ? { idNames: conn.idNames.bind(conn) } : {}),
  };
}

const mode = (path: string) => (statSync(path).mode & 0o7777).toString(8);

const local = suite('missing parent directories (local shell)');
let dir: string;

local.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'phoenix-parents-'));
});
local.after.each(() => rmSync(dir, { recursive: true, force: true }));

local('ancestors: nearest first, without / and .', () => {
  assert.equal(ancestors('/etc/apt/keyrings/'), ['/etc/apt/keyrings', '/etc/apt', '/etc']);
  assert.equal(ancestors('/'), []);
  assert.equal(ancestors('a/b'), ['a/b', 'a']);
});

local('the probe fragment tells a missing parent and grand-parent, outermost first, in one command', async () => {
  const conn = counted(new LocalConnection('l'));
  const target = join(dir, 'a', 'b');
  assert.equal(await probeMissingDirs(conn, target), [join(dir, 'a'), target]);
  assert.is(conn.commands.length, 1);
  mkdirSync(join(dir, 'a'));
  assert.equal(await probeMissingDirs(conn, target), [target]);
  mkdirSync(target);
  assert.equal(await probeMissingDirs(conn, target), []);
});

local('a symlink to a directory is a directory; a file or a dangling link in the way is a clear failure', async () => {
  const conn = new LocalConnection('l');
  mkdirSync(join(dir, 'real'));
  symlinkSync(join(dir, 'real'), join(dir, 'via'));
  assert.equal(await probeMissingDirs(conn, join(dir, 'via', 'x')), [join(dir, 'via', 'x')]);
  writeFileSync(join(dir, 'plain'), 'x');
  const failure = await probeMissingDirs(conn, join(dir, 'plain', 'x', 'y')).catch((e: unknown) => e);
  assert.instance(failure, ModuleFailure);
  assert.is((failure as Error).message, `cannot create directory ${join(dir, 'plain', 'x', 'y')}: ${join(dir, 'plain')} exists and ` +
    `is not a directory (move or remove ${join(dir, 'plain')}, or choose another path)`);
  symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'));
  assert.throws(() => parseMissingDirs('phoenix-dirs t 0 notdir\n', 't', join(dir, 'dangling')), /dangling exists and is not a directory/);
});

local('the fragment leaves the host script alone and quotes hostile names', async () => {
  const conn = new LocalConnection('l');
  const odd = join(dir, "it's $(touch pwned) `x`", 'b c');
  const script = `_pd_n=keep; d=mine\n${missingDirsScript('t', odd)}\necho "$d"`;
  const r = await conn.run(script);
  assert.equal(parseMissingDirs(r.stdout, 't', odd), [join(dir, "it's $(touch pwned) `x`"), odd]);
  assert.match(r.stdout, /\nmine\n$/);
  await createDirs(conn, { ...SYSTEM_DIR, owner: undefined, group: undefined, dirs: parseMissingDirs(r.stdout, 't', odd) });
  assert.is(mode(odd), '755');
  assert.throws(() => statSync(join(process.cwd(), 'pwned')));
});

local('no answer in the output (an old fixture) reads as: the directory exists', () => {
  assert.equal(parseMissingDirs('kernel 6.8\n', 'blacklist', '/etc/modprobe.d'), []);
});

local('apply creates each missing level with its mode whatever the umask; a second plan finds nothing', async () => {
  const conn = counted(new LocalConnection('l'));
  const target = join(dir, 'x', 'y', 'z');
  const plan = await planDirs(conn, target, { mode: 0o750 });
  assert.equal(plan.dirs, [join(dir, 'x'), join(dir, 'x', 'y'), target]);
  assert.equal(dirChanges(plan).map((c) => c.summary), plan.dirs.map((d) => `create directory ${d} (0750)`));
  assert.is(dirChanges(plan)[0]!.diff!.after, `{\n    "mode": "0750",\n    "path": "${join(dir, 'x')}",\n    "state": "directory"\n}\n`);
  const old = process.umask(0o077);
  try {
    await createDirs(conn, plan);
  } finally {
    process.umask(old);
  }
  for (const d of plan.dirs) assert.is(mode(d), '750', d);
  assert.equal((await planDirs(conn, target)).dirs, []);
  const before = conn.commands.length;
  await createDirs(conn, { ...SYSTEM_DIR, dirs: [] });
  assert.is(conn.commands.length, before, 'nothing to create: no command');
});

local('system directories are root:root 0755; an existing directory keeps its mode', async () => {
  if (process.getuid?.() !== 0) return;
  const conn = new LocalConnection('l');
  mkdirSync(join(dir, 'keep'));
  chmodSync(join(dir, 'keep'), 0o700);
  const r = await conn.run(ensureDirCommand(join(dir, 'keep', 'new')));
  assert.is(r.rc, 0, r.stderr);
  assert.is(mode(join(dir, 'keep')), '700');
  assert.is(mode(join(dir, 'keep', 'new')), '755');
  assert.is(statSync(join(dir, 'keep', 'new')).uid, 0);
  assert.is((await conn.run(ensureDirCommand(join(dir, 'keep', 'new')))).rc, 0, 'again: nothing to do, no failure');
});

local('a write into a missing directory says which directory is missing (not the temp file)', async () => {
  const target = join(dir, 'no', 'f');
  const error = await new LocalConnection('l').put('x', target).catch((e: unknown) => e as Error);
  assert.is((error as Error).message, `l: cannot write ${target}: No such file (${join(dir, 'no')} does not exist)`);
});

local.run();

const sftp = suite('missing parent directories over SFTP (real sshd): no command on the host');
let sshd: TestSshd;
let pool: ConnectionPool;
let conn: Connection;
let sdir: string;

sftp.before(async () => {
  sshd = await startSshd();
  pool = new ConnectionPool({ hostVars: () => sshVars(sshd, TEST_USER), home: tempHome([sshd.knownHostsLine]), env: {}, timeouts: { connectMs: 5000 } });
  conn = await pool.get('h');
  sdir = mkdtempSync(join(tmpdir(), 'phoenix-parents-sftp-'));
  chmodSync(sdir, 0o755);
  writeFileSync(join(sdir, 'plain'), 'x');
});

sftp.after(async () => {
  await pool.closeAll();
  await sshd.cleanup();
  rmSync(sdir, { recursive: true, force: true });
});

sftp('a missing parent and grand-parent are found by stat alone', async () => {
  const c = counted(conn);
  assert.equal(await probeMissingDirs(c, join(sdir, 'a', 'b')), [join(sdir, 'a'), join(sdir, 'a', 'b')]);
  assert.equal(await probeMissingDirs(c, sdir), []);
  const failure = await probeMissingDirs(c, join(sdir, 'plain', 'x')).catch((e: unknown) => e);
  assert.instance(failure, ModuleFailure);
  assert.equal(c.commands, [], 'no command ran');
});

sftp('a write over SFTP into a missing directory names the directory', async () => {
  const target = join(sdir, 'no', 'f');
  const error = await conn.put('x', target).catch((e: unknown) => e as Error);
  assert.match((error as Error).message, `cannot write ${target}: `);
  assert.match((error as Error).message, `(${join(sdir, 'no')} does not exist)`);
});

sftp.run();
