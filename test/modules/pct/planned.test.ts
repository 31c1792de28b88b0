import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Connection } from '../../../interpreter/connection/types.js';
import { PlannedState } from '../../../interpreter/executor/planned-state.js';
import { pct } from '../../../modules/pct.js';
import { factsAfter, sharedContainerFacts, type PlannedContainer } from '../../../modules/pct/planned.js';
import { untilChange } from '../../../interpreter/executor/context.js';
import { noteApply, type RunServices } from '../../../interpreter/executor/options.js';
import { FixtureConnection } from '../../support/fixture-connection.js';
import type { PctArgs } from '../../../modules/pct.js';
import { moduleContext, runModule } from '../../support/module-context.js';

const absent: PlannedContainer = { exists: false, running: false, config: {}, snapshots: [], template: false };
const args = (more: Partial<PctArgs>): PctArgs => ({ vmid: 903, state: 'present', ...more });

test('a clone planned now: exists, stopped, options set, and it remembers its parent and snapshot', () => {
  const after = factsAfter(args({ clone_from: 901, snapname: 'pre-configured', options: { memory: 4096, onboot: true } }), absent);
  assert.equal(after, {
    exists: true, running: false, config: { memory: '4096', onboot: '1' }, snapshots: [], template: false,
    createdFrom: { cloneOf: 901, snapname: 'pre-configured' },
  });
});

test('a container from an OS template, then started, then snapshotted: each step builds on the last', () => {
  const created = factsAfter(args({ ostemplate: 'local:vztmpl/ubuntu.tar.zst' }), absent);
  assert.equal(created.createdFrom, { ostemplate: 'local:vztmpl/ubuntu.tar.zst' });
  const started = factsAfter(args({ state: 'started' }), created);
  assert.ok(started.running);
  assert.equal(started.createdFrom, created.createdFrom, 'where it comes from is kept');
  const snapped = factsAfter(args({ snapshot: 'pre-configured' }), started);
  assert.equal(snapped.snapshots, ['pre-configured']);
  assert.ok(snapped.running, 'a snapshot does not stop it');
  assert.not.ok(factsAfter(args({ state: 'stopped' }), snapped).running);
  assert.not.ok(factsAfter(args({ state: 'absent' }), snapped).exists);
});

/** A node connection that must not be asked: the planned container answers. */
const silentNode = { host: 'pve1', run: () => { throw new Error('probed the node'); } } as unknown as Connection;

test('check mode: a later pct task on a planned container plans against the plan, not the node', async () => {
  const planned = new PlannedState();
  const ctx = { ...moduleContext({ check: true }), conn: silentNode, planned };
  planned.set('container', 'pve1/903', factsAfter(args({ clone_from: 901, snapname: 'pre-configured' }), absent));
  const start = await pct.plan(ctx, args({ state: 'started', wait_for: '/dev/nvidia0' }));
  assert.equal(start.changes.map((c) => c.summary), ['start CT 903', 'wait for /dev/nvidia0 in CT 903']);
  const again = await pct.plan(ctx, args({ state: 'started' }));
  assert.equal(again.changes, [], 'the start planned above counts');
  const snapshot = await pct.plan(ctx, args({ snapshot: 'pre-configured' }));
  assert.equal(snapshot.data?.snapshot, { name: 'pre-configured', taken_now: true });
  const existing = await pct.plan(ctx, args({ snapshot: 'pre-configured' }));
  assert.equal(existing.data?.snapshot, { name: 'pre-configured', taken_now: false });
});

test('check mode: creating a container reports where it comes from for the tasks inside it', async () => {
  const planned = new PlannedState();
  const node = { host: 'pve1', run: async () => ({ rc: 0, stdout: "Configuration file 'nodes/pve1/lxc/903.conf' does not exist\n@@phoenix-pct@@rc=255\n@@phoenix-pct@@\n", stderr: '' }) } as unknown as Connection;
  const ctx = { ...moduleContext({ check: true }), conn: node, planned };
  const plan = await pct.plan(ctx, args({ clone_from: 901, snapname: 'pre-configured' }));
  assert.equal(plan.data?.created_from, { cloneOf: 901, snapname: 'pre-configured' });
  assert.is(plan.data?.exists, false);
  assert.ok(planned.get<PlannedContainer>('container', 'pve1/903')?.exists);
});

test('a run\'s pct and lxc_conf tasks of one container ask the node once until something is applied', async () => {
  const holder = { answers: new Map<string, Promise<unknown>>() };
  const conf = 'arch: amd64\nhostname: ct903\nmemory: 4096\nunprivileged: 1\n';
  const node = new FixtureConnection('pve1', [
    { match: '^if \\[ -f /etc/pve/lxc/903\\.conf \\]', stdout: `@@phoenix-pct@@state RUNNING\n${conf}` },
  ]);
  const ctx = { ...moduleContext({ check: true }), conn: node, whileUnchanged: untilChange(holder) };
  const present = await runModule(pct, { vmid: 903, state: 'present', options: { memory: 4096 } }, ctx);
  const started = await runModule(pct, { vmid: 903, state: 'started' }, ctx);
  assert.equal([present.status, started.status], ['ok', 'ok']);
  assert.equal(await sharedContainerFacts(ctx, 903), { exists: true, running: true, config: { arch: 'amd64', hostname: 'ct903', memory: '4096', unprivileged: '1' }, snapshots: [], template: false });
  assert.is(node.commands.length, 1, node.commands.join('\n---\n'));
  noteApply({ unchanged: holder } as unknown as RunServices);
  await runModule(pct, { vmid: 903, state: 'started' }, ctx);
  assert.is(node.commands.length, 2, 'asked again after an apply');
});

test.run();
