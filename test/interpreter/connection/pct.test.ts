import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { LocalConnection } from '../../../interpreter/connection/local.js';
import { shellCommand } from '../../../interpreter/connection/quote.js';
import {
  containerProblem, pctExecCommand, pctGetCommand, pctPutCommand,
} from '../../../interpreter/connection/pct.js';
import { UnreachableError } from '../../../interpreter/connection/types.js';
import { ConnectionPool } from '../../../interpreter/connection/pool.js';

const test = suite('pct connection: command construction and error mapping');
const sh = new LocalConnection('controller');
const canary = `/tmp/phoenix-pct-canary-${randomBytes(4).toString('hex')}`;
const HOSTILE = [
  `$(touch ${canary})`, `\`touch ${canary}\``, `'; touch ${canary}; '`, `"; touch ${canary}; "`, `a\nb; touch ${canary}`,
  `x && touch ${canary}`, `-rf`, '', '*', `it's`,
];

/** The argv a POSIX shell makes of a command line (nothing is run: `set --` only splits it). */
async function argv(line: string): Promise<string[]> {
  const result = await sh.run(`set -- ${line}; printf '%s\\0' "$@"`);
  assert.is(result.rc, 0, result.stderr);
  return result.stdout.split('\0').slice(0, -1);
}

test('exec: pct exec <vmid> -- sh -c <command>, the command one argument', async () => {
  assert.is(pctExecCommand(901, 'echo hi'), `pct exec 901 -- sh -c 'echo hi'`);
  assert.equal(await argv(pctExecCommand(901, 'cat /etc/os-release | head -1')),
    ['pct', 'exec', '901', '--', 'sh', '-c', 'cat /etc/os-release | head -1']);
  assert.equal((await argv(pctExecCommand('902', 'true', {}, '/usr/sbin/pct')))[0], '/usr/sbin/pct');
});

test('exec: hostile values reach the container shell as data (run the inner command locally, canary)', async () => {
  for (const value of HOSTILE) {
    const args = await argv(pctExecCommand(901, `printf %s "$V"`, { V: value }));
    assert.is(args.length, 7);
    const inner = await sh.run(args[6]);
    assert.is(inner.stdout, value);
  }
  assert.throws(() => pctExecCommand(901, 'true', { 'BAD NAME': 'x' }), /invalid environment variable/);
  assert.is(existsSync(canary), false);
});

test('put: push to a temp name next to dest with perms/user/group, mv in the container, node file removed', async () => {
  const line = pctPutCommand(901, '/tmp/.n', '/etc/app.conf', '/etc/app.conf.phoenix-tmp-1', { mode: 0o640, owner: 'www-data', group: 'adm' });
  assert.is(line,
    "pct push 901 /tmp/.n /etc/app.conf.phoenix-tmp-1 --perms 0640 --user www-data --group adm && " +
    '{ pct exec 901 -- mv -f -- /etc/app.conf.phoenix-tmp-1 /etc/app.conf || ' +
    '{ rc=$?; pct exec 901 -- rm -f -- /etc/app.conf.phoenix-tmp-1; (exit $rc); }; }; rc=$?; rm -f -- /tmp/.n; exit $rc');
  assert.match(pctPutCommand(901, '/tmp/.n', '/x', '/x.t'), '--perms 0644');
  const check = await sh.run(shellCommand('sh', '-n', '-c', line));
  assert.is(check.rc, 0, check.stderr);
});

test('put: hostile paths stay arguments (script run with `true` as the program: no canary, node file removed)', async () => {
  for (const value of HOSTILE.filter((v) => v !== '')) {
    const nodeFile = `/tmp/.phoenix-pct-test-${randomBytes(4).toString('hex')}`;
    writeFileSync(nodeFile, 'x');
    const result = await sh.run(pctPutCommand(901, nodeFile, `/etc/${value}`, `/etc/${value}.tmp`, { owner: value }, 'true'));
    assert.is(result.rc, 0, result.stderr);
    assert.is(existsSync(nodeFile), false);
  }
  assert.is(existsSync(canary), false);
});

test('get: base64 of the file, or exit 3 with a marker when missing (inner script run locally)', async () => {
  const args = await argv(pctGetCommand(901, '/etc/hostname'));
  assert.equal(args.slice(0, 6), ['pct', 'exec', '901', '--', 'sh', '-c']);
  const file = `/tmp/phoenix-pct-get-${randomBytes(4).toString('hex')}`;
  const binary = Buffer.from([0, 1, 2, 255, 10, 13, 39, 34]);
  writeFileSync(file, binary);
  const present = await sh.run((await argv(pctGetCommand(901, file)))[6]);
  assert.ok(Buffer.from(present.stdout, 'base64').equals(binary));
  const missing = await sh.run((await argv(pctGetCommand(901, `${file}.nope`)))[6]);
  rmSync(file);
  assert.is(missing.rc, 3);
  assert.match(missing.stderr, 'phoenix: no such file');
});

test('a stopped container is UnreachableError naming container, node and the fix', () => {
  const stopped = containerProblem({ rc: 255, stdout: '', stderr: "container '901' not running!\n" }, 901, 'pve1', 'ct901');
  assert.instance(stopped, UnreachableError);
  assert.is(stopped!.host, 'ct901');
  assert.is(stopped!.message, 'container 901 on node pve1 is not running; start it (pct start 901) or add a ' +
    '`pct: state=started` task first');
  const push = containerProblem({ rc: 255, stdout: '', stderr: 'can only push files to a running CT\n' }, 901, 'pve1', 'c');
  assert.match(push!.message, 'is not running');
  const missing = containerProblem({ rc: 2, stdout: '', stderr: "Configuration file 'nodes/pve1/lxc/905.conf' does not exist\n" }, 905, 'pve1', 'c');
  assert.match(missing!.message, 'container 905 on node pve1 does not exist');
  assert.is(containerProblem({ rc: 1, stdout: '', stderr: "container '9010' not running!" }, 901, 'pve1', 'c'), undefined);
  assert.is(containerProblem({ rc: 1, stdout: '', stderr: 'grep: no match' }, 901, 'pve1', 'c'), undefined);
  assert.is(containerProblem({ rc: 0, stdout: "container '901' not running", stderr: '' }, 901, 'pve1', 'c'), undefined);
});

test('pool: a pct host goes through its node connection; bad pct vars are reported', async () => {
  const vars: Record<string, Record<string, unknown>> = {
    node: { ansible_connection: 'local' },
    ct: { ansible_connection: 'pct', proxmox_node: 'node', proxmox_vmid: 901, phoenix_pct_command: 'phoenix-no-such-pct' },
    nonode: { ansible_connection: 'pct', proxmox_vmid: 901 },
    novmid: { ansible_connection: 'pct', proxmox_node: 'node' },
  };
  const pool = new ConnectionPool({ hostVars: (h) => vars[h] });
  const ct = await pool.get('ct');
  const error = await ct.run('true').catch((e: Error) => e);
  assert.instance(error, UnreachableError);
  assert.match((error as Error).message, 'node node has no pct command');
  assert.ok((await pool.get('node')) === (await pool.get('node')), 'one connection per node');
  const e1 = await pool.get('nonode').catch((e: Error & { code?: string }) => e);
  assert.is((e1 as { code?: string }).code, 'CONNECTION_PCT_NODE');
  const e2 = await pool.get('novmid').catch((e: Error & { code?: string }) => e);
  assert.is((e2 as { code?: string }).code, 'CONNECTION_PCT_VMID');
  await pool.closeAll();
});

test.run();
