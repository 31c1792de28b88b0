import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { UnreachableError } from '../../../interpreter/connection/types.js';
import { HostKeyError } from '../../../interpreter/connection/known-hosts.js';
import { countLog, ensureTestUser, freePort, startSshd, TEST_USER, type TestSshd } from '../../support/sshd.js';
import { poolFor, sshVars, tempHome } from './fixture.js';

const test = suite('ssh: reaching hosts, host keys, become with a password, ProxyJump (real sshd)');
let sshd: TestSshd;
const PW_USER = 'phoenix-pw';
const PASSWORD = 'Pw-7f3a9c-not-to-be-seen';

test.before(async () => {
  sshd = await startSshd();
  ensureTestUser(PW_USER, 'password', PASSWORD);
});

test.after(async () => {
  await sshd.cleanup();
});

/** `ssh-keygen -l` of a public key file: the fingerprint format OpenSSH itself prints. */
function sshKeygenFingerprint(pubFile: string): string {
  return execFileSync('ssh-keygen', ['-l', '-f', pubFile], { encoding: 'utf8' }).split(/\s+/)[1];
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(() => undefined, (e: Error) => e);
  assert.ok(outcome, 'expected a failure');
  return outcome!;
}

test('closed port: UnreachableError naming host, address:port and the reason', async () => {
  const port = await freePort();
  const pool = poolFor({ dead: { ansible_host: '127.0.0.1', ansible_port: port, ansible_user: 'root' } }, tempHome());
  const error = await failure(pool.get('dead'));
  assert.instance(error, UnreachableError);
  assert.is((error as UnreachableError).host, 'dead');
  assert.match(error.message, `127.0.0.1:${port}`);
  assert.match(error.message, 'connection refused');
});

test('a port that accepts TCP but never speaks SSH: UnreachableError after the connect timeout', async () => {
  const silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as AddressInfo).port;
  const pool = poolFor({ mute: { ansible_host: '127.0.0.1', ansible_port: port, ansible_user: 'root' } }, tempHome(),
    { connectMs: 300 });
  const error = await failure(pool.get('mute'));
  silent.close();
  assert.instance(error, UnreachableError);
  assert.match(error.message, `root@127.0.0.1:${port}`);
  assert.match(error.message, 'no SSH answer within 0.3 s');
});

test('wrong key: UnreachableError saying authentication failed', async () => {
  const home = tempHome([sshd.knownHostsLine]);
  const other = join(home, 'other_key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
  const pool = poolFor({ h: sshVars(sshd, TEST_USER, { ansible_ssh_private_key_file: other }) }, home);
  const error = await failure(pool.get('h'));
  assert.instance(error, UnreachableError);
  assert.match(error.message, 'authentication failed');
});

test('unknown host key: strict refuses with how to add it; accept-new adds it and connects', async () => {
  const home = tempHome();
  const strict = poolFor({ h: sshVars(sshd, TEST_USER) }, home);
  const error = await failure(strict.get('h'));
  assert.instance(error, HostKeyError);
  assert.is((error as HostKeyError).verdict, 'unknown');
  assert.match(error.message, `ssh-keyscan -p ${sshd.port}`);
  assert.match(error.message, sshKeygenFingerprint(`${sshd.hostKeyPath}.pub`));
  const accept = poolFor({ h: sshVars(sshd, TEST_USER, { phoenix_host_key_checking: 'accept-new' }) }, home);
  assert.is((await (await accept.get('h')).run('echo hi')).stdout, 'hi\n');
  await accept.closeAll();
  assert.is(readFileSync(join(home, '.ssh', 'known_hosts'), 'utf8'), `${sshd.knownHostsLine}\n`);
  const again = poolFor({ h: sshVars(sshd, TEST_USER) }, home);
  assert.is((await (await again.get('h')).run('echo hi')).stdout, 'hi\n');
  await again.closeAll();
});

test('hashed known_hosts (ssh-keygen -H) and a custom file via phoenix_known_hosts_file', async () => {
  const home = tempHome();
  const file = join(home, 'hashed_hosts');
  writeFileSync(file, `# comment\nother.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n${sshd.knownHostsLine}\n`);
  execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
  assert.not.match(readFileSync(file, 'utf8'), '127.0.0.1');
  const pool = poolFor({ h: sshVars(sshd, TEST_USER, { phoenix_known_hosts_file: file }) }, home);
  assert.is((await (await pool.get('h')).run('echo hashed')).stdout, 'hashed\n');
  await pool.closeAll();
});

test('become with a password: root through sudo -S, stdin intact, password never in output', async () => {
  const home = tempHome([sshd.knownHostsLine]);
  const pool = poolFor({
    pw: sshVars(sshd, PW_USER, { ansible_become_password: PASSWORD }),
    bad: sshVars(sshd, PW_USER, { ansible_become_password: 'wrong-password-xyz' }),
    nopw: sshVars(sshd, TEST_USER, { ansible_become_password: PASSWORD }),
  }, home);
  const pw = await pool.get('pw');
  const who = await pw.run('whoami', { become: true });
  assert.is(who.stdout, 'root\n');
  const cat = await pw.run('cat', { become: true, stdin: 'payload' });
  assert.is(cat.stdout, 'payload');
  const bad = await (await pool.get('bad')).run('whoami', { become: true });
  assert.is.not(bad.rc, 0);
  // NOPASSWD user with a password configured: the password must not leak into the command's stdin.
  const nopw = await (await pool.get('nopw')).run('cat', { become: true, stdin: 'only this' });
  assert.is(nopw.stdout, 'only this');
  for (const r of [who, cat, bad, nopw]) assert.not.match(r.stdout + r.stderr, PASSWORD);
  await pool.closeAll();
});

test('ProxyJump from ~/.ssh/config: through root@ the same sshd to the test user', async () => {
  const key = sshd.userKey.privatePath;
  const config = [
    'Host target', '  HostName 127.0.0.1', `  Port ${sshd.port}`, `  User ${TEST_USER}`, `  IdentityFile ${key}`,
    '  ProxyJump hop', 'Host hop', '  HostName 127.0.0.1', `  Port ${sshd.port}`, '  User root', `  IdentityFile ${key}`, '',
  ].join('\n');
  const home = tempHome([sshd.knownHostsLine], config);
  const rootBefore = countLog(sshd.logFile, /Accepted publickey for root/);
  const userBefore = countLog(sshd.logFile, /Accepted publickey for phoenix-test/);
  const pool = poolFor({ target: { ansible_connection: 'ssh' } }, home);
  const conn = await pool.get('target');
  assert.is((await conn.run('id -un')).stdout, `${TEST_USER}\n`);
  assert.is(countLog(sshd.logFile, /Accepted publickey for root/), rootBefore + 1);
  assert.is(countLog(sshd.logFile, /Accepted publickey for phoenix-test/), userBefore + 1);
  // The test user's TCP connection was opened by sshd (forwarding for the jump), not by this process.
  const port = /Accepted publickey for phoenix-test from 127\.0\.0\.1 port (\d+)/g;
  const ports = [...readFileSync(sshd.logFile, 'utf8').matchAll(port)].map((m) => m[1]);
  const sockets = execFileSync('ss', ['-tnpH', `sport = :${ports.at(-1)}`], { encoding: 'utf8' });
  assert.match(sockets, '"sshd"');
  await pool.closeAll();
});

test('changed host key: refused under every policy, message has both fingerprints and file:line', async () => {
  const home = tempHome(['# first line', sshd.knownHostsLine]);
  const oldFingerprint = sshKeygenFingerprint(`${sshd.hostKeyPath}.pub`);
  await sshd.regenerateHostKey();
  const newFingerprint = sshKeygenFingerprint(`${sshd.hostKeyPath}.pub`);
  assert.is.not(oldFingerprint, newFingerprint);
  for (const policy of ['strict', 'accept-new', 'off']) {
    const pool = poolFor({ h: sshVars(sshd, TEST_USER, { phoenix_host_key_checking: policy }) }, home);
    const error = await failure(pool.get('h'));
    assert.instance(error, HostKeyError);
    assert.is((error as HostKeyError).verdict, 'changed');
    assert.match(error.message, oldFingerprint);
    assert.match(error.message, newFingerprint);
    assert.match(error.message, `${join(home, '.ssh', 'known_hosts')}:2`);
  }
  assert.is(readFileSync(join(home, '.ssh', 'known_hosts'), 'utf8').split('\n').length, 3, 'known_hosts untouched');
});

test.run();
