import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { quote, shellCommand } from '../../../interpreter/connection/quote.js';
import { CommandTimeoutError, UnreachableError, type Connection } from '../../../interpreter/connection/types.js';
import type { SshConnection } from '../../../interpreter/connection/ssh.js';
import { countLog, ensureRootAlias, startSshd, TEST_USER, type TestSshd } from '../../support/sshd.js';
import { poolFor, sshVars, tempHome } from './fixture.js';

const test = suite('ssh connection (real sshd)');
let sshd: TestSshd;
let home: string;
let root: Connection;
let user: Connection;
let pool: ReturnType<typeof poolFor>;

test.before(async () => {
  sshd = await startSshd();
  home = tempHome([sshd.knownHostsLine]);
  pool = poolFor({ root: sshVars(sshd, 'root'), user: sshVars(sshd, TEST_USER) }, home);
  root = await pool.get('root');
  user = await pool.get('user');
});

test.after(async () => {
  await pool.closeAll();
  await sshd.cleanup();
});

test('a command gives rc, stdout and stderr; a non-zero rc is data', async () => {
  const result = await user.run('echo out; echo err >&2; exit 7');
  assert.equal(result, { rc: 7, stdout: 'out\n', stderr: 'err\n' });
  assert.is((await user.run('id -un')).stdout.trim(), TEST_USER);
});

test('stdin reaches the command and env is exported', async () => {
  assert.is((await user.run('cat', { stdin: 'line one\nline two' })).stdout, 'line one\nline two');
  const result = await user.run('printf %s "$GREETING"', { env: { GREETING: "it's $HOME" } });
  assert.is(result.stdout, "it's $HOME");
});

test('a command past its timeout throws CommandTimeoutError and the connection stays usable', async () => {
  const error = await user.run('sleep 30', { timeoutMs: 300 }).catch((e: unknown) => e);
  assert.instance(error, CommandTimeoutError);
  assert.is((await user.run('echo still here')).stdout, 'still here\n');
});

test('put/get round trip: binary content, mode, atomic temp name gone, missing file is null', async () => {
  const dir = `/tmp/phoenix-put-${randomBytes(4).toString('hex')}`;
  await root.run(shellCommand('mkdir', '-m', '1777', dir));
  const binary = Buffer.from(Array.from({ length: 256 * 4 }, (_, i) => i % 256));
  await user.put(binary, `${dir}/blob.bin`, { mode: 0o640 });
  assert.ok((await user.get(`${dir}/blob.bin`))!.equals(binary));
  assert.is(statSync(`${dir}/blob.bin`).mode & 0o777, 0o640);
  await user.put('second version\n', `${dir}/blob.bin`, { mode: 0o600 });
  assert.is((await user.get(`${dir}/blob.bin`))!.toString(), 'second version\n');
  assert.is(statSync(`${dir}/blob.bin`).mode & 0o777, 0o600);
  assert.is((await user.run(shellCommand('ls', '-A', dir))).stdout, 'blob.bin\n');
  assert.is(await user.get(`${dir}/nope`), null);
  await root.put('owned\n', `${dir}/owned`, { owner: TEST_USER, group: TEST_USER, mode: 0o644 });
  assert.is((await root.run(shellCommand('stat', '-c', '%U:%G %a', `${dir}/owned`))).stdout, `${TEST_USER}:${TEST_USER} 644\n`);
  rmSync(dir, { recursive: true, force: true });
});

test('put into a directory the user cannot write fails with the path in the message', async () => {
  const error = await user.put('x', '/root/phoenix-denied').catch((e: Error) => e);
  assert.instance(error, Error);
  assert.match((error as Error).message, '/root/phoenix-denied');
  assert.not.instance(error, UnreachableError);
});

test('become: whoami is root through sudo for the plain user; files written as root', async () => {
  assert.is((await user.run('whoami')).stdout, `${TEST_USER}\n`);
  assert.is((await user.run('whoami', { become: true })).stdout, 'root\n');
  const ssh = user as SshConnection;
  const path = `/root/.phoenix-become-${randomBytes(4).toString('hex')}`;
  await ssh.put('secret\n', path, { become: true, mode: 0o600 });
  assert.is(statSync(path).mode & 0o777, 0o600);
  assert.is(statSync(path).uid, 0);
  assert.is((await ssh.get(path, { become: true }))!.toString(), 'secret\n');
  assert.is(await ssh.get(`${path}.missing`, { become: true }), null);
  rmSync(path);
});

test('become: sudo only when it changes the user (not for root, nor a uid-0 login named otherwise)', async () => {
  ensureRootAlias('phoenix-root0');
  const p2 = poolFor({ alias: sshVars(sshd, 'phoenix-root0') }, home);
  const parentOf = 'ps -o comm= -p $PPID';
  assert.is((await user.run(parentOf, { become: true })).stdout.trim(), 'sudo');
  assert.is.not((await root.run(parentOf, { become: true })).stdout.trim(), 'sudo');
  const alias = await p2.get('alias');
  const viaAlias = await alias.run(`id -u; ${parentOf}`, { become: true });
  assert.is(viaAlias.stdout.split('\n')[0], '0');
  assert.is.not(viaAlias.stdout.split('\n')[1], 'sudo');
  await p2.closeAll();
});

test('hostile strings through quote are data, never executed (canary file)', async () => {
  const canary = `/tmp/phoenix-canary-${randomBytes(4).toString('hex')}`;
  const hostile = [
    `$(touch ${canary})`, `\`touch ${canary}\``, `'; touch ${canary}; '`, `"; touch ${canary}; "`,
    `\n touch ${canary}\n`, `x && touch ${canary}`, `$HOME|touch ${canary}`, `-n`, '', `\\'\\"`, `*`,
  ];
  for (const value of hostile) {
    for (const become of [false, true]) {
      const result = await user.run(shellCommand('printf', '%s', value), { become });
      assert.is(result.stdout, value, `echoed ${JSON.stringify(value)} become=${become}`);
    }
    const env = await user.run('printf %s "$V"', { env: { V: value }, become: true });
    assert.is(env.stdout, value);
  }
  assert.is(existsSync(canary), false);
  assert.is(quote("it's"), `'it'\\''s'`);
});

test('many concurrent commands share one SSH connection and at most 8 remote shells (counted in the sshd log)', async () => {
  const before = countLog(sshd.logFile, /Accepted publickey for phoenix-test/);
  const sessionsBefore = countLog(sshd.logFile, /Starting session: command for phoenix-test/);
  const results = await Promise.all(Array.from({ length: 40 }, (_, i) => user.run(`echo ${i}`)));
  results.forEach((r, i) => assert.is(r.stdout, `${i}\n`));
  await Promise.all(Array.from({ length: 12 }, (_, i) => user.put(`f${i}`, `/tmp/.phoenix-conc-${i}`)));
  assert.is(countLog(sshd.logFile, /Accepted publickey for phoenix-test/), before);
  const sessions = countLog(sshd.logFile, /Starting session: command for phoenix-test/) - sessionsBefore;
  assert.ok(sessions >= 1 && sessions <= 8, `40 commands in ${sessions} sessions`);
  assert.is(countLog(sshd.logFile, /Accepted publickey for phoenix-test/), 1);
});

test('pool: concurrent get for one host shares one connect, and one object', async () => {
  const p2 = poolFor({ h: sshVars(sshd, TEST_USER) }, home);
  const before = countLog(sshd.logFile, /Accepted publickey/);
  const [a, b, c] = await Promise.all([p2.get('h'), p2.get('h'), p2.get('h')]);
  assert.ok(a === b && b === c);
  assert.is(countLog(sshd.logFile, /Accepted publickey/), before + 1);
  await p2.closeAll();
});

test('twenty pct containers on one node: its one connection for node commands, shells on one more per 8 (via sudo)', async () => {
  const vars: Record<string, Record<string, unknown>> = { pve: sshVars(sshd, TEST_USER) };
  const cts = Array.from({ length: 20 }, (_, i) => `ct${900 + i}`);
  for (const [i, ct] of cts.entries()) {
    vars[ct] = { ansible_connection: 'pct', proxmox_node: 'pve', proxmox_vmid: 900 + i, phoenix_pct_command: 'phoenix-no-such-pct' };
  }
  const p2 = poolFor(vars, home);
  const before = countLog(sshd.logFile, /Accepted publickey for phoenix-test/);
  const errors = await Promise.all(cts.map(async (ct) => (await p2.get(ct)).run('true').catch((e: Error) => e)));
  // No pct on this machine: every container's command reached the node and came back as "no pct command".
  for (const error of errors) assert.match((error as Error).message, 'node pve has no pct command');
  // The node's connection, and 3 for the 20 container shells tried (8 channels each), not one per container.
  assert.is(countLog(sshd.logFile, /Accepted publickey for phoenix-test/), before + 4);
  await p2.closeAll();
});

test('a connection that drops mid-command is UnreachableError; the next command dials again', async () => {
  const p2 = poolFor({ h: sshVars(sshd, TEST_USER) }, home);
  const conn = await p2.get('h');
  // The shell's parent is this connection's sshd session process: killing it cuts the link under the command.
  const error = await conn.run('kill -9 $PPID; sleep 5').catch((e: unknown) => e);
  assert.instance(error, UnreachableError);
  assert.match((error as Error).message, '127.0.0.1');
  assert.is((await conn.run('echo again')).stdout, 'again\n');
  await p2.closeAll();
});

test('reconnect() waits for sshd to come back after a restart', async () => {
  const p2 = poolFor({ h: sshVars(sshd, TEST_USER) }, home);
  const ssh = (await p2.get('h')) as SshConnection;
  await sshd.stop();
  setTimeout(() => void sshd.restart(), 800);
  await ssh.reconnect(20_000, 200);
  assert.is((await ssh.run('echo back')).stdout, 'back\n');
  await p2.closeAll();
});

test.run();
