import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionPool, type HostVars } from '../../interpreter/connection/pool.js';
import { UnreachableError } from '../../interpreter/connection/types.js';
import { LabLease, announceSkip, labSkipReason } from './fixture.js';
import { labNode, onNode, pct } from '../../lab/lab.js';
import { setupOnce } from '../support/setup-once.js';

// phoenix's own ssh + pct connections against the lab node (issue 3): twenty containers on ONE SSH connection,
// counted from the node sshd's VERBOSE log, and a container stopped mid-run.
const test = suite('connections over the lab (ssh + pct, real sshd, real LXC)');
const lab = new LabLease();
const TEMPLATE = '740';
const CLONES = Array.from({ length: 20 }, (_, i) => String(741 + i));
let home: string;

function inventory(): Record<string, HostVars> {
  const node = labNode(lab.node);
  const vars: Record<string, HostVars> = {
    [lab.node]: {
      ansible_host: '127.0.0.1', ansible_port: node.port, ansible_user: lab.info.user,
      ansible_ssh_private_key_file: lab.info.privateKey, phoenix_known_hosts_file: lab.info.knownHosts,
    },
  };
  for (const id of CLONES) vars[`ct${id}`] = { ansible_connection: 'pct', proxmox_node: lab.node, proxmox_vmid: id };
  return vars;
}

function newPool(): ConnectionPool {
  const vars = inventory();
  return new ConnectionPool({ hostVars: (h) => vars[h] ?? {}, home, env: {}, timeouts: { connectMs: 5000 } });
}

/** The part of the node's sshd log written since `offset`. */
function logSince(offset: number): string {
  return readFileSync(labNode(lab.node).sshdLog, 'utf8').slice(offset);
}

async function destroyAll(): Promise<void> {
  await onNode(lab.node, 'for id in "$@"; do { pct stop "$id"; pct destroy "$id"; } >/dev/null 2>&1 & done; wait; exit 0',
    ...CLONES, TEMPLATE);
}

async function setUp(): Promise<void> {
  await lab.acquire({ privateNode: true }); // its own sshd log: only this test's connections
  home = mkdtempSync(join(tmpdir(), 'phoenix-lab-home-'));
  mkdirSync(join(home, '.ssh'), { mode: 0o700 });
  writeFileSync(join(home, '.ssh', 'config'), '');
  await destroyAll();
  // One template, snapshotted, cloned twenty times from the snapshot (as phoenix_lxc_configs.json does).
  const setup = await onNode(lab.node, [
    `pct create ${TEMPLATE} local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst --hostname base >/dev/null`,
    `pct snapshot ${TEMPLATE} pre-configured`,
    'for id in "$@"; do pct clone ' + TEMPLATE + ' "$id" --snapname pre-configured --hostname "ct$id" >/dev/null && ' +
      'pct start "$id" || exit 1; done',
  ].join(' && '), ...CLONES);
  assert.is(setup.rc, 0, setup.stderr);
}

setupOnce(test, async () => {
  try {
    await setUp();
  } catch (error) {
    // uvu 0.5 drops an error thrown by a before hook (its finally returns): say it here, or the file fails silently.
    process.stderr.write(`\nconnections.test: set-up failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    throw error;
  }
});

test.after(async () => {
  // Only when acquire() succeeded: otherwise this hook's own error (no such node) would hide the one that matters.
  if (lab.info) await destroyAll();
  if (home) rmSync(home, { recursive: true, force: true });
  await lab.release();
});

test('twenty containers run commands and take files over their node: its connection, and one per 8 container shells', async () => {
  const offset = statSync(labNode(lab.node).sshdLog).size;
  const pool = newPool();
  try {
    const results = await Promise.all(CLONES.map(async (id) => {
      const ct = await pool.get(`ct${id}`);
      await ct.put(`hello ${id}\n`, '/root/greeting', { mode: 0o600 });
      return ct.run('hostname; cat /root/greeting');
    }));
    results.forEach((r, i) => assert.equal([r.rc, r.stdout], [0, `ct${CLONES[i]}\nhello ${CLONES[i]}\n`], r.stderr));
  } finally {
    await pool.closeAll();
  }
  const log = logSince(offset);
  const logins = log.match(/^Accepted publickey for \S+ from 127\.0\.0\.1 port \d+/gm) ?? [];
  const sessions = log.match(/^Starting session: command for \S+ from 127\.0\.0\.1 port (\d+)/gm) ?? [];
  // The node's own connection (pct push and its cleanup) and the container shells' (8 to a connection, MaxSessions).
  const shellConnections = Math.ceil(CLONES.length / 8);
  assert.is(logins.length, 1 + shellConnections, `the node's connection and ${shellConnections} for twenty container shells, sshd log:\n${log}`);
  // Commands run in long-lived remote shells: the node's, at most 8, and one kept in each container (its commands
  // and reads): 40 operations, far fewer sessions than one each.
  assert.ok(sessions.length >= 1 && sessions.length <= 8 + CLONES.length, `at most 8 node shells + one per container, saw ${sessions.length}`);
  const ports = new Set(sessions.map((s) => s.replace(/.* port /, '')));
  assert.is(ports.size, 1 + shellConnections, 'every session on one of those connections');
});

test('a container stopped mid-run gives an error naming it; its siblings go on on the same connection', async () => {
  const pool = newPool();
  try {
    const victim = await pool.get(`ct${CLONES[0]}`);
    const sibling = await pool.get(`ct${CLONES[1]}`);
    assert.is((await victim.run('true')).rc, 0);
    assert.is((await pct(lab.node, 'stop', CLONES[0]!)).rc, 0);
    try {
      await victim.run('echo never');
      assert.unreachable('a stopped container must not look like a command failure');
    } catch (error) {
      assert.instance(error, UnreachableError);
      const message = (error as Error).message;
      assert.match(message, `container ${CLONES[0]}`);
      assert.match(message, lab.node);
      assert.match(message, 'not running');
    }
    const still = await sibling.run('hostname');
    assert.is(still.stdout, `ct${CLONES[1]}\n`);
  } finally {
    await pool.closeAll();
    await pct(lab.node, 'start', CLONES[0]!);
  }
});

const skip = labSkipReason();
if (skip) announceSkip('test/lab/connections.test.ts', skip);
else test.run();
