import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnreachableError, type Connection } from '../../../interpreter/connection/types.js';
import { sshSettingsFor } from '../../../interpreter/connection/pool.js';
import { countLog, startSshd, TEST_USER, type TestSshd } from '../../support/sshd.js';
import { poolFor, sshVars, tempHome } from './fixture.js';

/**
 * A container's commands run in one shell kept inside it (`pct exec <vmid> -- setsid -w /bin/sh` on the node, over
 * a real sshd, through sudo), not a `pct exec` each. The node's `pct` is a stand-in that runs what follows `--`
 * on this machine (the "container") and logs every call, so the tests count what a real node would start.
 */
const test = suite('pct: a kept shell per container on the node (real sshd, stand-in pct)');
let sshd: TestSshd;
let dir: string;
let pool: ReturnType<typeof poolFor>;

const log = (): string[] => (existsSync(join(dir, 'pct.log')) ? readFileSync(join(dir, 'pct.log'), 'utf8').trim().split('\n') : []);
const calls = (vmid: number, what: RegExp): number => log().filter((l) => l.startsWith(`exec ${vmid} `) && what.test(l)).length;
const ct = (vmid: number): Promise<Connection> => pool.get(`ct${vmid}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test.before(async () => {
  sshd = await startSshd();
  dir = mkdtempSync(join(tmpdir(), 'phoenix-pct-shell-'));
  chmodSync(dir, 0o777);
  writeFileSync(join(dir, 'pct'), [
    '#!/bin/sh',
    `[ "$1" = exec ] || exit 2`,
    'vmid=$2; shift 2; [ "$1" = -- ] && shift',
    `printf 'exec %s %s\\n' "$vmid" "$*" >>${dir}/pct.log`,
    `[ -e ${dir}/stopped-$vmid ] && { echo "container '$vmid' not running!" >&2; exit 255; }`,
    `[ -e ${dir}/nosetsid-$vmid ] && [ "$1" = setsid ] && { echo 'setsid: not found' >&2; exit 127; }`,
    'exec "$@"',
  ].join('\n') + '\n', { mode: 0o755 });
  const vars: Record<string, Record<string, unknown>> = { node: sshVars(sshd, TEST_USER) };
  for (let vmid = 901; vmid <= 916; vmid++) {
    vars[`ct${vmid}`] = { ansible_connection: 'pct', proxmox_node: 'node', proxmox_vmid: vmid, phoenix_pct_command: join(dir, 'pct') };
  }
  pool = poolFor(vars, tempHome([sshd.knownHostsLine]));
});

test.after(async () => {
  await pool.closeAll();
  await sshd.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test('twenty commands and a file read in a container: one shell started in it, no pct exec per command', async () => {
  const conn = await ct(901);
  for (let i = 0; i < 20; i++) {
    const r = await conn.run(`echo out-${i}; echo err-$X >&2; exit ${i % 3}`, { env: { X: `it's ${i}` } });
    assert.equal([r.rc, r.stdout, r.stderr], [i % 3, `out-${i}\n`, `err-it's ${i}\n`]);
  }
  writeFileSync(join(dir, 'file'), Buffer.from([0, 1, 2, 255]));
  assert.equal([...(await conn.get(join(dir, 'file')))!], [0, 1, 2, 255]);
  assert.is(await conn.get(join(dir, 'no-such-file')), null);
  assert.is((await conn.run('id -u')).stdout, '0\n', 'root in the container (pct runs through sudo on the node)');
  assert.is(calls(901, /^exec 901 setsid -w \/bin\/sh$/), 1, log().join('\n'));
  assert.is(calls(901, /sh -c/), 0, 'no pct exec per command');
});

test('more containers than a connection has channels: each keeps its one shell, on as few connections as hold them', async () => {
  for (let round = 0; round < 2; round++) {
    for (let vmid = 902; vmid <= 915; vmid++) assert.is((await (await ct(vmid)).run('echo $PPID')).rc, 0, `ct${vmid}`);
  }
  for (let vmid = 902; vmid <= 915; vmid++) assert.is(calls(vmid, /setsid/), 1, `ct${vmid} kept its shell through both rounds`);
  // 15 shells (901-915) at 8 channels a connection: 2 connections beside the node's own one, which runs node commands.
  assert.is(countLog(sshd.logFile, /Accepted publickey/), 3);
  const runs = await Promise.all([902, 903, 904].map(async (vmid) => (await ct(vmid)).run(`echo ${vmid}`)));
  assert.equal(runs.map((r) => r.stdout), ['902\n', '903\n', '904\n']);
});

test('phoenix_ssh_shell_connections: 1 caps the shell connections: the oldest idle shell ends for a new one, all still run', async () => {
  const vars: Record<string, Record<string, unknown>> = { node: sshVars(sshd, TEST_USER, { phoenix_ssh_shell_connections: 1 }) };
  for (let vmid = 920; vmid <= 931; vmid++) {
    vars[`ct${vmid}`] = { ansible_connection: 'pct', proxmox_node: 'node', proxmox_vmid: vmid, phoenix_pct_command: join(dir, 'pct') };
  }
  const capped = poolFor(vars, tempHome([sshd.knownHostsLine]));
  const before = countLog(sshd.logFile, /Accepted publickey/);
  try {
    for (let round = 0; round < 2; round++) {
      for (let vmid = 920; vmid <= 931; vmid++) assert.is((await (await capped.get(`ct${vmid}`)).run('echo ok')).stdout, 'ok\n');
    }
    assert.is(countLog(sshd.logFile, /Accepted publickey/), before + 2, 'the node connection and one for shells');
    assert.is(calls(920, /setsid/), 2, '12 containers cycling through 8 channels: the first one\'s shell was ended and started again');
  } finally {
    await capped.closeAll();
  }
  assert.throws(() => sshSettingsFor('node', { ...vars.node, phoenix_ssh_shell_connections: 0 }),
    (e: unknown) => /phoenix_ssh_shell_connections must be a whole number of at least 1 \(got 0\)/.test((e as Error).message));
});

test('a shell that died while idle (the container restarted) is replaced without the command noticing', async () => {
  const conn = await ct(901);
  assert.is((await conn.run('echo warm')).stdout, 'warm\n');
  const before = calls(901, /setsid/);
  // The shell is killed just after its command ended (or while it ran: then that command gets rc 255).
  await conn.run('(sleep 0.05; kill -KILL $PPID) >/dev/null 2>&1 & exit 0');
  await sleep(200);
  assert.is((await conn.run('echo after')).stdout, 'after\n');
  assert.is(calls(901, /setsid/), before + 1, 'one new shell');
});

test('a shell that dies while its command runs gives that command rc 255; the node connection and the next command are fine', async () => {
  const conn = await ct(901);
  const r = await conn.run('echo partial; kill -KILL $$; sleep 5');
  assert.is(r.rc, 255);
  assert.match(r.stderr, /the shell ended while the command ran/);
  assert.is((await conn.run('echo next')).stdout, 'next\n');
  assert.is((await pool.get('node').then((n) => n.run('echo node'))).stdout, 'node\n');
});

test('Ctrl-C reaches the command in the container shell: rc 130, the command stops, the next one works', async () => {
  const conn = await ct(901);
  const marker = join(dir, 'interrupted-marker');
  const controller = new AbortController();
  const running = conn.run(`touch ${marker}.started; sleep 2; touch ${marker}`, { signal: controller.signal });
  while (!existsSync(`${marker}.started`)) await sleep(5);
  controller.abort();
  assert.is((await running).rc, 130);
  await sleep(2500);
  assert.not.ok(existsSync(marker), 'the interrupted command went on');
  assert.is((await conn.run('echo alive')).stdout, 'alive\n');
});

test('a stopped container: pct\'s own message through the plain pct exec (UnreachableError naming the container)', async () => {
  writeFileSync(join(dir, 'stopped-906'), '');
  try {
    await (await ct(906)).run('kill -KILL $$ & exit 0').catch(() => undefined);
    await sleep(200);
    const error = await (await ct(906)).run('echo hi').catch((e: unknown) => e);
    assert.instance(error, UnreachableError);
    assert.match((error as Error).message, /container 906 on node node is not running/);
  } finally {
    rmSync(join(dir, 'stopped-906'));
  }
  assert.is((await (await ct(906)).run('echo back')).stdout, 'back\n', 'started again: a shell again');
});

test('a container where the shell cannot start (no setsid): its commands run with a pct exec each, one try only', async () => {
  writeFileSync(join(dir, 'nosetsid-916'), '');
  try {
    const conn = await ct(916);
    for (let i = 0; i < 3; i++) assert.is((await conn.run(`echo ${i}`)).stdout, `${i}\n`);
    assert.is(calls(916, /setsid/), 1, 'one failed start, then the plain way');
    assert.is(calls(916, /sh -c echo/), 3);
  } finally {
    rmSync(join(dir, 'nosetsid-916'));
  }
});

test.run();
