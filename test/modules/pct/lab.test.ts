import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ConnectionPool } from '../../../interpreter/connection/pool.js';
import type { ModuleContext } from '../../../modules/types.js';
import { pct as pctModule } from '../../../modules/pct.js';
import { LabLease, announceSkip, labNodeVars, labPool, labSkipReason } from '../../lab/fixture.js';
import { pct } from '../../../lab/lab.js';
import { moduleContext, runModule } from '../../support/module-context.js';
import { setupOnce } from '../../support/setup-once.js';

// The pct module on the lab node over real SSH, against the lab's pct over real LXC: check, apply, re-apply = ok for
// create, clone from a snapshot, snapshot, start with a wait, stop; and a wait for a device the container never gets
// fails within its timeout, saying what the container does see.
const test = suite('pct module on the lab node (ssh, pct, real LXC)');
const lab = new LabLease();
const skip = labSkipReason();
const BASE = 760;
const CLONE = 761;
let pool: ConnectionPool;
let dispose = async (): Promise<void> => undefined;

async function run(args: Record<string, unknown>, check = false) {
  const ctx: ModuleContext = { ...moduleContext({ check }), host: 'pve1', conn: await pool.get('pve1'), connect: (h) => pool.get(h) };
  return runModule(pctModule, args, ctx);
}

/** check predicts a change and changes nothing; apply changes; re-apply is ok with a reason. */
async function converge(args: Record<string, unknown>, expected: string[]): Promise<void> {
  const check = await run(args, true);
  assert.is(check.status, 'changed', check.msg);
  assert.equal(check.changes.map((c) => c.summary), expected);
  const again = await run(args, true);
  assert.equal(again.changes.map((c) => c.summary), expected, 'check mode changed nothing');
  const applied = await run(args);
  assert.is(applied.status, 'changed', applied.msg);
  const reapplied = await run(args);
  assert.is(reapplied.status, 'ok', reapplied.msg);
  assert.ok(reapplied.reason, 'ok carries a reason');
}

setupOnce(test, async () => {
  if (skip) return;
  await lab.acquire();
  ({ pool, dispose } = labPool((h) => (h === 'pve1' ? labNodeVars(lab, 'pve1') : undefined)));
  for (const ct of [CLONE, BASE]) {
    await pct('pve1', 'stop', String(ct));
    await pct('pve1', 'destroy', String(ct));
  }
});

test.after(async () => {
  if (skip) return;
  await dispose();
  for (const ct of [CLONE, BASE]) {
    await pct('pve1', 'stop', String(ct));
    await pct('pve1', 'destroy', String(ct));
  }
  await lab.release();
});

test('create from an OS template, started', async () => {
  if (skip) return announceSkip('test/modules/pct/lab.test.ts', skip);
  await converge({ vmid: BASE, state: 'started', ostemplate: 'local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst', options: { hostname: 'base', memory: 512 } },
    [`create CT ${BASE} from local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst`, `start CT ${BASE}`]);
  assert.match((await pct('pve1', 'status', String(BASE))).stdout, /status: running/);
});

test('snapshot, then a full clone from it with its own options', async () => {
  if (skip) return;
  await converge({ vmid: BASE, snapshot: 'golden' }, [`snapshot CT ${BASE} as golden`]);
  await converge({ vmid: CLONE, state: 'started', clone_from: BASE, snapname: 'golden', options: { hostname: 'clone', memory: 1024 } },
    [`clone CT ${BASE} (snapshot golden) to ${CLONE}`, `start CT ${CLONE}`]);
  assert.match((await pct('pve1', 'config', String(CLONE))).stdout, /memory: 1024/);
  await converge({ vmid: CLONE, options: { memory: 2048 } }, [`set memory=2048 on CT ${CLONE}`]);
});

test('stop, then start and wait for a path inside', async () => {
  if (skip) return;
  await converge({ vmid: CLONE, state: 'stopped' }, [`stop CT ${CLONE}`]);
  await converge({ vmid: CLONE, state: 'started', wait_for: '/etc/hostname', timeout: 10 }, [`start CT ${CLONE}`, `wait for /etc/hostname in CT ${CLONE}`]);
  await converge({ vmid: CLONE, state: 'stopped' }, [`stop CT ${CLONE}`]);
  await converge({ vmid: CLONE, state: 'started', wait_for_network: true, timeout: 10 }, [`start CT ${CLONE}`, `wait for the network in CT ${CLONE}`]);
});

test('a device that never appears: bounded wait, failure says what the container sees', async () => {
  if (skip) return;
  await run({ vmid: CLONE, state: 'stopped' });
  const started = Date.now();
  const got = await run({ vmid: CLONE, state: 'started', wait_for: '/dev/nvidia0', timeout: 3 });
  assert.is(got.status, 'failed');
  assert.ok(Date.now() - started < 20000, 'the wait is bounded');
  assert.match(got.msg ?? '', /\/dev\/nvidia0 did not appear in CT 761 within 3 s/);
  assert.match(got.msg ?? '', /lxc\.mount\.entry/);
});

test.run();
