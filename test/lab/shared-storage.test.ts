import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { pct } from '../../lab/lab.js';
import { LabLease, announceSkip, labSkipReason } from './fixture.js';
import { setupOnce } from '../support/setup-once.js';
import { failures, runSite, withStatus, writeClusterSite } from './site-run.js';

/**
 * site.yml with a template chain on shared storage (issue 14): the hypervisor file lists `cephpool` in
 * shared_storage, the chain 900 -> 901 lives on the first node with its rootfs on cephpool, and 960 (a clone of 901)
 * sits on the second node: `pct clone --target` on the first node puts it there, everything after runs on the
 * second node. `--check` first tells what the run will do, the run does it, a re-run (and a re-check) changes nothing.
 */
const test = suite('site.yml with a template chain on shared storage');
const first = new LabLease();
const second = new LabLease();
const skip = labSkipReason();
let dir = '';
let inventory = '';
let nodes: [string, string] = ['', ''];

async function list(node: string): Promise<string[]> {
  return (await pct(node, 'list')).stdout.split('\n').slice(1).map((l) => l.split(/\s+/)[0]!).filter(Boolean);
}

/** The example's 900 -> 901 on the first node on cephpool, 950 there and 960 on the second node, both clones of 901. */
function sharedContainers(example: Record<string, Record<string, unknown>>): Record<string, Record<string, unknown>> {
  const net = (ip: string) => ({ ...(example['900']!.network_config as object), ip });
  return {
    '900': { ...structuredClone(example['900']!), storage_pool: 'cephpool', node: nodes[0] },
    '901': { ...structuredClone(example['901']!), node: nodes[0] },
    '950': { ...structuredClone(example['950']!), clone_from_ctid: '901', node: nodes[0] },
    '960': { ...structuredClone(example['950']!), name: 'cuda-worker-2', clone_from_ctid: '901', network_config: net('10.0.0.160/24'), node: nodes[1] },
  };
}

const CROSS_CLONE = 'Clone the container onto its node from its parent\'s snapshot on another node (shared storage)';

function site(...args: string[]): ReturnType<typeof runSite> {
  return runSite(inventory, ...args);
}

setupOnce(test, async () => {
  if (skip) return;
  await first.acquire({ privateNode: true });
  await second.acquire({ privateNode: true });
  nodes = [first.node, second.node];
  ({ dir, inventory } = writeClusterSite(first, nodes, 'phoenix-shared-storage-', ({ hv, lxc }) => {
    hv.shared_storage = ['cephpool'];
    lxc.lxc_configs = sharedContainers(lxc.lxc_configs);
  }));
});

test.after(async () => {
  if (skip) return;
  await second.release();
  await first.release();
  rmSync(dir, { recursive: true, force: true });
});

let predicted: string[] = [];

test('--check on the fresh cluster: the clone onto the second node is planned, nothing is made', async () => {
  if (skip) return announceSkip('test/lab/shared-storage.test.ts', skip);
  const check = await site('--check');
  assert.is(check.code, 0, check.stderr + JSON.stringify(check.doc && failures(check.doc)));
  predicted = withStatus(check.doc!, 'changed');
  assert.ok(predicted.includes(`${CROSS_CLONE} @ ct960`), predicted.join('\n'));
  assert.ok(predicted.includes('Settings of the container cloned onto its node @ ct960'), predicted.join('\n'));
  assert.ok(predicted.includes('Clone the container from its parent\'s snapshot @ ct950'), 'the clone on its parent\'s node stays local');
  assert.not.ok(predicted.includes(`${CROSS_CLONE} @ ct950`));
  assert.ok(predicted.includes('GPU passthrough in the container\'s config @ ct960'), 'planned on the clone\'s node from its parent\'s config');
  assert.equal(await list(nodes[0]), []);
  assert.equal(await list(nodes[1]), []);
});

test('first run: the chain is built once on the first node, 960 is cloned onto the second and runs there', async () => {
  if (skip) return;
  const run = await site();
  assert.is(run.code, 0, run.stderr + JSON.stringify(run.doc && failures(run.doc)));
  assert.equal(await list(nodes[0]), ['900', '901', '950']);
  assert.equal(await list(nodes[1]), ['960']);
  const config = (await pct(nodes[1], 'config', '960')).stdout;
  assert.match(config, /^rootfs: cephpool:vm-960-disk-0,/m);
  assert.match(config, /^hostname: cuda-worker-2$/m);
  assert.match(config, /^memory: /m);
  assert.is((await pct(nodes[1], 'status', '960')).stdout.trim(), 'status: running');
  const smi = await pct(nodes[1], 'exec', '960', '--', 'nvidia-installer', '--version');
  assert.match(smi.stdout, /580\.76\.05/, 'the clone has its template\'s driver user space');
  // What --check predicted is what the run changed, for the clone on the second node.
  const done = withStatus(run.doc!, 'changed').filter((t) => t.endsWith('@ ct960'));
  const planned = predicted.filter((t) => t.endsWith('@ ct960'));
  assert.equal(planned.filter((t) => !done.includes(t)), [], 'predicted but not done');
  assert.equal(done.filter((t) => !planned.includes(t)), [], 'done but not predicted');
});

test('a re-run and a re-check change nothing: no second clone', async () => {
  if (skip) return;
  for (const args of [[], ['--check']]) {
    const again = await site(...args);
    assert.is(again.code, 0, again.stderr + JSON.stringify(again.doc && failures(again.doc)));
    assert.equal(withStatus(again.doc!, 'changed'), [], args.join(' '));
  }
  assert.equal(await list(nodes[1]), ['960']);
  assert.equal(await list(nodes[0]), ['900', '901', '950']);
});

test.run();
