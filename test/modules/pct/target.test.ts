import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalConnection } from '../../../interpreter/connection/local.js';
import type { Connection } from '../../../interpreter/connection/types.js';
import { PlannedState } from '../../../interpreter/executor/planned-state.js';
import { nodesHolding, pct, type PctArgs } from '../../../modules/pct.js';
import type { PlannedContainer } from '../../../modules/pct/planned.js';
import { ModuleFailure } from '../../../modules/types.js';
import { moduleContext } from '../../support/module-context.js';

/**
 * `pct clone --target` (issue 14, shared storage): the task runs on the source's node (pve1) and finds the new CT
 * in the cluster-wide /etc/pve/nodes/<node>/lxc/. The node's /etc/pve/nodes is a temp dir here: the module's
 * commands run in a real shell, with that one path moved.
 */
const root = mkdtempSync(join(tmpdir(), 'phoenix-pve-nodes-'));
const local = new LocalConnection('pve1');
const commands: string[] = [];
const node = {
  host: 'pve1',
  run: (command: string) => {
    commands.push(command);
    return local.run(command.replaceAll('/etc/pve/nodes', root)).then((r) => ({ ...r, stdout: r.stdout.replaceAll(root, '/etc/pve/nodes') }));
  },
} as unknown as Connection;

function conf(at: string, vmid: number): void {
  mkdirSync(join(root, at, 'lxc'), { recursive: true });
  writeFileSync(join(root, at, 'lxc', `${vmid}.conf`), 'arch: amd64\nhostname: worker-2\n');
}

const clone = (more: Partial<PctArgs> = {}): PctArgs => ({ vmid: 960, state: 'present', clone_from: 901, snapname: 'pre-configured', target: 'pve2', options: { hostname: 'worker-2' }, ...more });

function context(check: boolean) {
  const planned = new PlannedState();
  return { ctx: { ...moduleContext({ check }), host: 'ct960', conn: node, planned }, planned };
}

test.before.each(() => {
  rmSync(root, { recursive: true, force: true });
  mkdirSync(join(root, 'pve1', 'lxc'), { recursive: true });
  mkdirSync(join(root, 'pve2', 'lxc'), { recursive: true });
  conf('pve1', 901);
  commands.length = 0;
});
test.after(() => rmSync(root, { recursive: true, force: true }));

test('nodesHolding: the nodes whose lxc directory has <vmid>.conf, none as an empty list', async () => {
  assert.equal(await nodesHolding(node, 901), ['pve1']);
  assert.equal(await nodesHolding(node, 960), []);
  conf('pve2', 960);
  assert.equal(await nodesHolding(node, 960), ['pve2']);
});

test('absent everywhere: one pct clone with --target, no pct set on the source node; the plan is kept under the target', async () => {
  const { ctx, planned } = context(true);
  const plan = await pct.plan(ctx, clone());
  assert.equal(plan.changes.map((c) => c.summary), ['clone CT 901 (snapshot pre-configured) to 960 on node pve2']);
  assert.equal(plan.state?.map((s) => s.command), ['pct clone 901 960 --snapname pre-configured --full 1 --hostname worker-2 --target pve2']);
  assert.is(plan.data?.exists, false);
  assert.equal(plan.data?.created_from, { cloneOf: 901, snapname: 'pre-configured', node: 'pve1' });
  const after = planned.get<PlannedContainer>('container', 'pve2/960');
  assert.ok(after?.exists, 'the tasks on pve2 find the planned clone');
  assert.is(after?.running, false);
  assert.is(planned.get<PlannedContainer>('container', 'pve1/960'), undefined, 'nothing planned on the source node');
  // A second plan in the same check run sees the planned clone: nothing more to do.
  const again = await pct.plan(ctx, clone());
  assert.equal(again.changes, []);
  assert.match(again.reason!, /CT 960 exists on node pve2/);
});

test('already on the target node: ok with a reason, no command that changes anything, nothing recorded', async () => {
  conf('pve2', 960);
  const { ctx, planned } = context(false);
  const plan = await pct.plan(ctx, clone());
  assert.equal(plan.changes, []);
  assert.is(plan.reason, 'CT 960 exists on node pve2 (cloned there from CT 901); its state and settings are the tasks\' on node pve2');
  assert.is(plan.data?.exists, true);
  assert.equal(commands.filter((c) => !c.startsWith('for f in')), []);
  assert.is(planned.get('container', 'pve2/960'), undefined, 'the tasks on pve2 read the node itself');
});

test('the VMID on another node than the target: refused before anything runs (VMIDs are cluster-wide)', async () => {
  conf('pve3', 960);
  const { ctx } = context(false);
  try {
    await pct.plan(ctx, clone());
    assert.unreachable('planned a clone over a VMID of pve3');
  } catch (error) {
    assert.instance(error, ModuleFailure);
    assert.is((error as Error).message, "CT 960 already exists on node 'pve3', not on target pve2: not cloning (VMIDs are cluster-wide)");
  }
});

test('with target: options pct clone does not take, and states other than present, are refused with the way out', async () => {
  const { ctx } = context(false);
  const failure = (args: PctArgs) => pct.plan(ctx, args).then(() => 'planned', (e: Error) => e.message);
  assert.match(await failure(clone({ options: { hostname: 'w', memory: 2048 } })), /options may only be hostname and description .*set memory with a pct task on node pve2/);
  assert.match(await failure(clone({ state: 'started' })), /takes state present only/);
});

test('target = the task\'s own node: a plain local clone (as PVE ignores --target of the local node)', async () => {
  const { ctx } = context(true);
  const local1 = { ...ctx, conn: { ...node, host: 'pve2', run: async () => ({ rc: 0, stdout: "Configuration file 'nodes/pve2/lxc/960.conf' does not exist\n@@phoenix-pct@@rc=255\n@@phoenix-pct@@\n", stderr: '' }) } as unknown as Connection };
  const plan = await pct.plan(local1, clone({ options: { hostname: 'w', memory: 2048 } }));
  assert.equal(plan.state?.map((s) => s.command), ['pct clone 901 960 --snapname pre-configured --full 1 --hostname w && pct set 960 --memory 2048']);
});

test('schema: target needs clone_from and is a node name', () => {
  const schema = pct.schema as { properties: Record<string, { pattern?: string }>; allOf: Array<{ dependencies?: Record<string, string[]> }> };
  assert.ok(schema.allOf.some((r) => r.dependencies?.target?.includes('clone_from')));
  const pattern = new RegExp(schema.properties.target.pattern!);
  assert.ok(pattern.test('pve2') && pattern.test('lab-1a2b3c4d'));
  assert.not.ok(pattern.test('-x') || pattern.test('pve2; touch x'));
});

test.run();
