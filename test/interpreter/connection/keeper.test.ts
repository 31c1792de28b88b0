import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConnectionPool, type HostVars } from '../../../interpreter/connection/pool.js';
import type { SshConnection } from '../../../interpreter/connection/ssh.js';
import { HostKeyError } from '../../../interpreter/connection/known-hosts.js';
import { keeperSocketPath, persistMsFromEnv } from '../../../interpreter/connection/keeper/protocol.js';
import { runKeeper } from '../../../interpreter/connection/keeper/server.js';
import { spawnKeeper, type KeeperHandOver } from '../../../interpreter/connection/keeper/client.js';
import { CommandTimeoutError, UnreachableError, type ShellTarget } from '../../../interpreter/connection/types.js';
import { countLog, startSshd, TEST_USER, type TestSshd } from '../../support/sshd.js';
import { sshVars, tempHome } from './fixture.js';

// The keeper holds SSH connections between runs (ansible's ControlPersist). Here it runs inside the test process
// (runKeeper) for the contract, and as the real detached process for two CLI runs in a row.
const test = suite('ssh keeper: connections kept between runs (real sshd)');
const bin = fileURLToPath(new URL('../../../../bin/phoenix.js', import.meta.url));
let sshd: TestSshd;
let home: string;
let scratch: string;

const accepted = (): number => countLog(sshd.logFile, /Accepted publickey for phoenix-test/);

function keeperPool(socketPath: string, vars: Record<string, HostVars>, start: () => KeeperHandOver = () => () => undefined): ConnectionPool {
  return new ConnectionPool({
    hostVars: (h) => vars[h] ?? {}, home, env: {}, timeouts: { connectMs: 5000 },
    keeper: { socketPath, persistMs: 60_000, start },
  });
}

test.before(async () => {
  sshd = await startSshd();
  home = tempHome([sshd.knownHostsLine]);
  scratch = mkdtempSync(join(tmpdir(), 'phoenix-keeper-test-'));
  chmodSync(scratch, 0o700);
});

test.after(async () => {
  await sshd.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

test('two runs in a row share one SSH login; commands, stdin, env, become and files work through it', async () => {
  const socket = join(scratch, 'a.sock');
  const keeper = runKeeper(socket, 400);
  const vars = { h: sshVars(sshd, TEST_USER) };
  const before = accepted();
  for (let run = 0; run < 2; run++) {
    const pool = keeperPool(socket, vars);
    const conn = await pool.get('h');
    assert.equal(await conn.run('echo out; echo err >&2; exit 3'), { rc: 3, stdout: 'out\n', stderr: 'err\n' });
    assert.is((await conn.run('cat', { stdin: Buffer.from([0, 255, 10]) })).stdout, '\u0000\ufffd\n');
    assert.is((await conn.run('printf %s "$V"', { env: { V: "it's" } })).stdout, "it's");
    assert.is((await conn.run('whoami', { become: true })).stdout, 'root\n');
    const path = `/tmp/phoenix-keeper-${process.pid}-${run}`;
    await conn.put(Buffer.from([1, 2, 3]), path, { mode: 0o640 });
    assert.ok((await conn.get(path))!.equals(Buffer.from([1, 2, 3])));
    assert.is(await conn.get(`${path}.missing`), null);
    rmSync(path);
    await pool.closeAll();
  }
  assert.is(accepted() - before, 1);
  await keeper; // no run for 400 ms: the keeper ends and closes its connection
  assert.is(existsSync(socket), false);
});

test('errors cross the socket as the classes the executor handles', async () => {
  const socket = join(scratch, 'b.sock');
  const keeper = runKeeper(socket, 300);
  const pool = keeperPool(socket, {
    h: sshVars(sshd, TEST_USER),
    closed: sshVars(sshd, TEST_USER, { ansible_port: 1 }),
    stranger: sshVars(sshd, TEST_USER, { phoenix_known_hosts_file: join(scratch, 'empty_known_hosts') }),
  });
  const conn = await pool.get('h');
  const timeout = await conn.run('sleep 20', { timeoutMs: 200 }).catch((e: unknown) => e);
  assert.instance(timeout, CommandTimeoutError);
  const refused = await pool.get('closed').catch((e: unknown) => e);
  assert.instance(refused, UnreachableError);
  assert.match((refused as Error).message, 'connection refused');
  const unknownKey = await pool.get('stranger').catch((e: unknown) => e);
  assert.instance(unknownKey, HostKeyError);
  assert.match((unknownKey as Error).message, 'ssh-keyscan');
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 150);
  assert.is((await conn.run('sleep 20', { signal: controller.signal })).rc, 130);
  assert.is((await conn.run('echo ok')).stdout, 'ok\n');
  await pool.closeAll();
  await keeper;
});

test('a keeper that dies mid-run makes the host unreachable with a message, never a hang', async () => {
  const socket = join(scratch, 'c.sock');
  const entry = spawn(process.execPath, [bin, '__ssh-keeper', socket, '5000'], { stdio: 'ignore' });
  const pool = keeperPool(socket, { h: sshVars(sshd, TEST_USER) });
  for (let i = 0; i < 200 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 20));
  const conn = await pool.get('h');
  const pending = conn.run('sleep 20');
  await new Promise((r) => setTimeout(r, 200));
  entry.kill('SIGKILL');
  const error = await pending.catch((e: unknown) => e);
  assert.instance(error, UnreachableError);
  assert.match((error as Error).message, 'SSH keeper process ended');
  await pool.closeAll();
});

test('a keeper ended with SIGTERM (pkill -f __ssh-keeper) removes its socket file', async () => {
  const socket = join(scratch, 'term.sock');
  const keeper = spawn(process.execPath, [bin, '__ssh-keeper', socket, '60000'], { stdio: ['pipe', 'ignore', 'ignore'] });
  keeper.stdin!.end('[]');
  for (let i = 0; i < 200 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(existsSync(socket));
  const exited = new Promise<number | null>((r) => keeper.once('exit', (code) => r(code)));
  keeper.kill('SIGTERM');
  assert.is(await exited, 0);
  assert.is(existsSync(socket), false);
});

test('a stale socket file is replaced; a live keeper is left alone by a second one', async () => {
  const socket = join(scratch, 'd.sock');
  // A keeper killed with -9 leaves its socket file behind, with nobody listening.
  const dead = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socket)})`]);
  for (let i = 0; i < 200 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 20));
  dead.kill('SIGKILL');
  await new Promise((r) => dead.once('exit', r));
  assert.ok(existsSync(socket));
  const first = runKeeper(socket, 300);
  await new Promise((r) => setTimeout(r, 100));
  const second = await Promise.race([runKeeper(socket, 300).then(() => 'left'), first.then(() => 'first ended')]);
  assert.is(second, 'left');
  const pool = keeperPool(socket, { h: sshVars(sshd, TEST_USER) });
  assert.is((await (await pool.get('h')).run('echo served')).stdout, 'served\n');
  await pool.closeAll();
  await first;
});

test('the socket directory must be private to the user; PHOENIX_SSH_PERSIST sets or turns off the time', () => {
  const base = mkdtempSync(join(scratch, 'runtime-'));
  const path = keeperSocketPath({ XDG_RUNTIME_DIR: base });
  assert.ok(path && path.startsWith(join(base, `phoenix-${process.getuid!()}`)));
  chmodSync(join(base, `phoenix-${process.getuid!()}`), 0o755);
  assert.is(keeperSocketPath({ XDG_RUNTIME_DIR: base }), undefined);
  assert.is(persistMsFromEnv({}), 60_000);
  assert.is(persistMsFromEnv({ PHOENIX_SSH_PERSIST: '5' }), 5000);
  assert.is(persistMsFromEnv({ PHOENIX_SSH_PERSIST: '0' }), 0);
});

test('a keeper started by a run that connected on its own opens the shells that run held, for the next run', async () => {
  const socket = join(scratch, 'held.sock');
  const vars = { h: sshVars(sshd, TEST_USER) };
  const sessions = (): number => countLog(sshd.logFile, /Starting session: command/);
  // Two "containers": shells started by a host command (as `pct exec <vmid> -- setsid -w /bin/sh` on a node).
  const target = (name: string): ShellTarget => ({
    start: `env PHOENIX_TARGET=${name} setsid -w /bin/sh`, command: 'echo "$PHOENIX_TARGET $$"', beside: '',
  });
  const targets = [target('ct1'), target('ct2')];
  // A third whose shell starts only while a file exists (a container stopped between two runs, say).
  const flag = join(scratch, 'ct3-running');
  const gated: ShellTarget = { ...target('ct3'), start: `test -e ${flag} && exec env PHOENIX_TARGET=ct3 setsid -w /bin/sh` };
  writeFileSync(flag, '');
  const first = keeperPool(socket, vars, () => spawnKeeper(bin, socket, 2000));
  const own = await first.get('h'); // no keeper answers: this run connects itself and starts one
  assert.is((await own.run('echo host')).stdout, 'host\n');
  const pids = new Map<string, string>();
  for (const t of [...targets, gated]) {
    const [name, pid] = (await own.run('false', { viaShell: t })).stdout.trim().split(' ');
    pids.set(name, pid);
  }
  assert.ok(pids.has('ct3'));
  // What the keeper is handed: how to start each shell, never the command last run in it.
  const held = (own as SshConnection).heldShells();
  assert.equal(held.targets.map((t) => [t.start, t.command]), [...targets, gated].map((t) => [t.start, 'true']));
  assert.ok(held.host);
  rmSync(flag);
  const before = sessions();
  await first.closeAll(); // its shells end with it; the keeper gets what it held
  // The keeper logs in and starts the host's shell and both targets' shells again (and asks sudo once, as any
  // connection does before its first root command): at least three sessions, then quiet.
  let opened = 0;
  for (let i = 0, quiet = 0; i < 100 && quiet < 6; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const now = sessions() - before;
    quiet = now >= 3 && now === opened ? quiet + 1 : 0;
    opened = now;
  }
  assert.ok(opened >= 3, `the keeper opened the host shell and the two target shells (${opened} sessions)`);
  const next = keeperPool(socket, vars);
  const kept = await next.get('h');
  for (const t of targets) {
    const [name, pid] = (await kept.run('false', { viaShell: t })).stdout.trim().split(' ');
    assert.is(name, t.start.split('=')[1].split(' ')[0]);
    assert.is.not(pid, pids.get(name), 'a shell of its own, started by the keeper');
  }
  assert.is((await kept.run('echo host')).stdout, 'host\n');
  assert.is(sessions() - before, opened, 'the next run found every shell open: no new session');
  // ct3's shell would not start for the keeper: not remembered as shell-less, so once it can start, it does.
  writeFileSync(flag, '');
  assert.match((await kept.run('false', { viaShell: gated })).stdout, /^ct3 \d+\n$/);
  await next.closeAll();
});

test('a command for a shell the keeper is still starting waits for it; one a command started is not prepared: one start each', async () => {
  const pool = keeperPool(join(scratch, 'nobody.sock'), { h: sshVars(sshd, TEST_USER) });
  const conn = (await pool.get('h')) as SshConnection; // no keeper there: a connection of its own
  await conn.run('true', { become: true }); // the login's uid and sudo are known: only shells start below
  const sessions = (): number => countLog(sshd.logFile, /Starting session: command/);
  const target: ShellTarget = { start: 'env PHOENIX_TARGET=w setsid -w /bin/sh', command: 'echo "$$"', beside: '' };
  const before = sessions();
  const preparing = conn.prepare({ host: false, sftp: false, targets: [target] });
  await new Promise((r) => setImmediate(r)); // the prepare has begun starting the shell
  const pid = (await conn.run('false', { viaShell: target })).stdout;
  await preparing;
  assert.is((await conn.run('false', { viaShell: target })).stdout, pid, 'the same shell both times');
  // One a command started first is not prepared again, even while that command still runs in it.
  const other: ShellTarget = { ...target, start: 'env PHOENIX_TARGET=v setsid -w /bin/sh', command: 'sleep 0.5' };
  const busy = conn.run('false', { viaShell: other });
  await new Promise((r) => setTimeout(r, 200));
  await conn.prepare({ host: false, sftp: false, targets: [other] });
  await busy;
  await new Promise((r) => setTimeout(r, 100));
  assert.is(sessions() - before, 2, 'one start for each target');
  await pool.closeAll();
});

test('the CLI: a run without a keeper connects itself and starts one; the next runs log in nowhere; it ends when idle', async () => {
  const runtime = mkdtempSync(join(scratch, 'cli-'));
  mkdirSync(join(runtime, 'work'));
  const vars = sshVars(sshd, TEST_USER);
  writeFileSync(join(runtime, 'work', 'inventory.yml'), `all:\n  hosts:\n    h1:\n${Object.entries(vars)
    .map(([k, v]) => `      ${k}: ${JSON.stringify(v)}\n`).join('')}      phoenix_known_hosts_file: ${join(home, '.ssh', 'known_hosts')}\n`);
  writeFileSync(join(runtime, 'work', 'play.yml'), '- hosts: all\n  tasks:\n    - command: echo hi\n      changed_when: false\n');
  const env = { ...process.env, XDG_RUNTIME_DIR: runtime, PHOENIX_SSH_PERSIST: '2', HOME: home };
  const dir = join(runtime, `phoenix-${process.getuid!()}`);
  const sockets = (): number => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.sock')).length : 0);
  const run = (): void => {
    const result = spawnSync(process.execPath, [bin, 'run', 'play.yml', '-i', 'inventory.yml'],
      { cwd: join(runtime, 'work'), env, encoding: 'utf8' });
    assert.is(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /h1\s+: ok=1/);
  };
  const before = accepted();
  run(); // no keeper yet: this run logs in itself and starts one
  assert.is(accepted() - before, 1);
  for (let i = 0; i < 50 && sockets() === 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.is(sockets(), 1, 'the first run started a keeper');
  run(); // the keeper logs in once, and keeps the connection
  run(); // nothing new
  assert.is(accepted() - before, 2);
  for (let i = 0; i < 60 && sockets() > 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.is(sockets(), 0, 'the keeper ended after 2 s idle');
});

test.run();
