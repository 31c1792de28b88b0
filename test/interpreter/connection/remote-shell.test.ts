import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { shellRequest, SHELL_STDIN_LIMIT } from '../../../interpreter/connection/remote-shell.js';
import { CommandTimeoutError, type Connection } from '../../../interpreter/connection/types.js';
import { countLog, startSshd, TEST_USER, type TestSshd } from '../../support/sshd.js';
import { poolFor, sshVars, tempHome } from './fixture.js';

// Commands over SSH run one after another in a long-lived remote /bin/sh (one round trip each). These cases are
// the ways a command could leak into the next one, or the shell could lose its place in the stream.
const test = suite('ssh: commands in a long-lived remote shell (real sshd)');
let sshd: TestSshd;
let home: string;
let pool: ReturnType<typeof poolFor>;
let conn: Connection;

const sessions = (): number => countLog(sshd.logFile, /Starting session: command for phoenix-test/);

test.before(async () => {
  sshd = await startSshd();
  home = tempHome([sshd.knownHostsLine]);
  pool = poolFor({
    h: sshVars(sshd, TEST_USER),
    off: sshVars(sshd, TEST_USER, { phoenix_ssh_persistent_shell: false }),
  }, home);
  conn = await pool.get('h');
});

test.after(async () => {
  await pool.closeAll();
  await sshd.cleanup();
});

test('a hundred commands in a row use one session, each with its own rc, stdout and stderr', async () => {
  const before = sessions();
  for (let i = 0; i < 100; i++) {
    const result = await conn.run(`echo out${i}; echo err${i} >&2; exit ${i % 7}`);
    assert.equal(result, { rc: i % 7, stdout: `out${i}\n`, stderr: `err${i}\n` });
  }
  assert.ok(sessions() - before <= 1, `${sessions() - before} sessions`);
});

test('output without a final newline, binary bytes and empty output come back exactly', async () => {
  assert.equal(await conn.run('printf abc'), { rc: 0, stdout: 'abc', stderr: '' });
  assert.equal(await conn.run('printf err >&2'), { rc: 0, stdout: '', stderr: 'err' });
  assert.equal(await conn.run('true'), { rc: 0, stdout: '', stderr: '' });
  const bytes = await conn.run("printf '\\000\\001\\377x' | od -An -tx1");
  assert.is(bytes.stdout.trim().replace(/\s+/g, ' '), '00 01 ff 78');
  const big = await conn.run('head -c 300000 /dev/zero | tr "\\0" y');
  assert.is(big.stdout.length, 300000);
});

test('cd, exported variables, shell options and traps end with their command', async () => {
  await conn.run('cd /; export PHOENIX_LEAK=1; set -e; trap "echo trapped" EXIT; umask 077');
  const after = await conn.run('pwd; printf "%s\\n" "${PHOENIX_LEAK-unset}"; false; echo still; umask');
  assert.is(after.stdout, `${(await conn.run('echo ~')).stdout.trim()}\nunset\nstill\n0022\n`);
});

test('a syntax error, exit and exec in a command end only that command', async () => {
  const broken = await conn.run("echo 'unterminated");
  assert.is(broken.rc, 2);
  assert.match(broken.stderr, /unterminated|Syntax error|EOF/i);
  assert.is((await conn.run('exit 42')).rc, 42);
  assert.is((await conn.run('exec sh -c "exit 5"')).rc, 5);
  assert.is((await conn.run('echo fine')).stdout, 'fine\n');
});

test('a command that reads stdin gets EOF (it cannot eat the next command); given stdin arrives intact', async () => {
  assert.equal(await conn.run('cat; echo read-done'), { rc: 0, stdout: 'read-done\n', stderr: '' });
  const input = Buffer.from([0, 1, 2, 255, 10, 39, 34, 36]);
  const echoed = await conn.run('od -An -tx1', { stdin: input });
  assert.is(echoed.stdout.trim().replace(/\s+/g, ' '), '00 01 02 ff 0a 27 22 24');
  const large = 'z'.repeat(SHELL_STDIN_LIMIT + 10);
  assert.is((await conn.run('wc -c', { stdin: large })).stdout.trim(), String(large.length));
  assert.is((await conn.run('echo after')).stdout, 'after\n');
});

test('output that looks like an end mark does not end the command early', async () => {
  const fake = '__phoenix_000000000000000000000000_0';
  const result = await conn.run(`echo ${fake}; echo ${fake} >&2; sleep 0.2; echo real`);
  assert.equal(result, { rc: 0, stdout: `${fake}\nreal\n`, stderr: `${fake}\n` });
});

test('a timed-out command ends its shell; the next command gets a fresh one', async () => {
  const marker = `/tmp/phoenix-shell-${randomBytes(4).toString('hex')}`;
  const error = await conn.run(`sleep 30; touch ${marker}`, { timeoutMs: 300 }).catch((e: unknown) => e);
  assert.instance(error, CommandTimeoutError);
  assert.is((await conn.run('echo next')).stdout, 'next\n');
  assert.is(existsSync(marker), false);
  rmSync(marker, { force: true });
});

test('Ctrl-C (the run signal) answers rc 130 at once, stops the remote command (also under sudo), connection still works', async () => {
  const markers = [`/tmp/phoenix-int-${randomBytes(4).toString('hex')}`, `/tmp/phoenix-int-${randomBytes(4).toString('hex')}`];
  for (const [i, become] of [false, true].entries()) {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const started = Date.now();
    const result = await conn.run(`sleep 2; touch ${markers[i]}`, { signal: controller.signal, become });
    assert.is(result.rc, 130);
    assert.ok(Date.now() - started < 2000, `answered after ${Date.now() - started} ms`);
  }
  await new Promise((r) => setTimeout(r, 2500));
  for (const marker of markers) assert.is(existsSync(marker), false, `${marker}: the interrupted command went on`);
  assert.is((await conn.run('echo alive')).stdout, 'alive\n');
});

test('phoenix_ssh_persistent_shell: false runs each command on a channel of its own', async () => {
  const off = await pool.get('off');
  const before = sessions();
  for (let i = 0; i < 3; i++) assert.is((await off.run(`echo ${i}`)).stdout, `${i}\n`);
  assert.is(sessions() - before, 3);
});

test('the request is one well-formed shell line whatever the command holds', () => {
  const mark = '__phoenix_abc_';
  assert.is(shellRequest("echo 'x'", mark),
    `( eval 'echo '\\''x'\\''' ) </dev/null; printf '%s%d\\n' ${mark} "$?"; printf '%s\\n' ${mark} >&2\n`);
  assert.match(shellRequest('cat', mark, 'hi'), /^printf '%s' aGk= \| base64 -d \| \( eval cat \);/);
});

test.run();
