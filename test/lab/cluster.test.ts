import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onNode, pct, startSshd, stopSshd } from '../../lab/lab.js';
import { LabLease, announceSkip, labSkipReason, setConfigDriverVersion } from './fixture.js';
import { setupOnce } from '../support/setup-once.js';
import { failures, runSite, withStatus, writeClusterSite, type RunDoc } from './site-run.js';

/**
 * site.yml on a three-node cluster of the lab (issue 14): the first two nodes have their own template chains (VMIDs
 * are cluster-wide), the third only the driver. A first run builds them, a re-run changes nothing, `--limit <node>`
 * upgrades one node and its containers only, and a roll with the middle node down stops there, the first done and
 * the third untouched; the re-run completes. A node may have its own driver; a wrong pin stops the run.
 * The first and third nodes are Proxmox VE 8 (Debian 12), the second VE 9 (Debian 13), as in a cluster upgraded
 * node by node: each gets NVIDIA's CUDA repository for its own Debian, in its apt's default format.
 */
const test = suite('site.yml on a three-node lab cluster (VE 8, 9, 8)');
const first = new LabLease();
const second = new LabLease();
/** A third node with the driver and no containers: the one a roll stopped at the second leaves untouched. */
const third = new LabLease();
const skip = labSkipReason();
let dir = '';
let inventory = '';
let nodes: [string, string, string] = ['', '', ''];

function changed(doc: RunDoc): string[] {
  return withStatus(doc, 'changed');
}

/** The example's chain 900 -> 901 -> 950 on the first node, its copy 910 -> 911 -> 960 on the second. */
function clusterContainers(example: Record<string, Record<string, unknown>>): Record<string, Record<string, unknown>> {
  const on = (node: string, ct: Record<string, unknown>, extra: Record<string, unknown>) => ({ ...structuredClone(ct), ...extra, node });
  const net = (ip: string) => ({ ...(example['900']!.network_config as object), ip });
  return {
    '900': on(nodes[0], example['900']!, {}),
    '901': on(nodes[0], example['901']!, {}),
    '950': on(nodes[0], example['950']!, { clone_from_ctid: '901' }),
    '910': on(nodes[1], example['900']!, { name: 'Template-Base-2', network_config: net('10.0.0.210/24') }),
    '911': on(nodes[1], example['901']!, { name: 'Template-GPU-2', clone_from_ctid: '910', network_config: net('10.0.0.211/24') }),
    '960': on(nodes[1], example['950']!, { name: 'cuda-worker-2', clone_from_ctid: '911', network_config: net('10.0.0.160/24') }),
  };
}

function setDriverVersion(version: string): void {
  setConfigDriverVersion(dir, first.info.artifacts!.runfileUrls, version);
}

async function loadedModule(node: string): Promise<string> {
  return (await onNode(node, 'cat /proc/driver/nvidia/version 2>/dev/null; exit 0')).stdout.match(/\d{3}\.\d+\.\d+/)?.[0] ?? 'none';
}

async function userSpace(node: string, vmid: number): Promise<string> {
  const r = await pct(node, 'exec', String(vmid), '--', 'nvidia-installer', '--version');
  return r.stdout.match(/\d{3}\.\d+\.\d+/)?.[0] ?? 'none';
}

function site(...args: string[]): ReturnType<typeof runSite> {
  return runSite(inventory, ...args);
}

setupOnce(test, async () => {
  if (skip) return;
  await first.acquire({ privateNode: { ve: 8 } });
  await second.acquire({ privateNode: { ve: 9 } });
  await third.acquire({ privateNode: { ve: 8 } });
  nodes = [first.node, second.node, third.node];
  ({ dir, inventory } = writeClusterSite(first, nodes, 'phoenix-cluster-', ({ lxc }) => {
    lxc.lxc_configs = clusterContainers(lxc.lxc_configs);
  }));
});

test.after(async () => {
  if (skip) return;
  await third.release();
  await second.release();
  await first.release();
  rmSync(dir, { recursive: true, force: true });
});

test('first run: each node gets the driver and its own template chain; a re-run changes nothing', async () => {
  if (skip) return announceSkip('test/lab/cluster.test.ts', skip);
  const run = await site();
  assert.is(run.code, 0, run.stderr + JSON.stringify(run.doc && failures(run.doc)));
  const list = async (node: string) => (await pct(node, 'list')).stdout.split('\n').slice(1).map((l) => l.split(/\s+/)[0]).filter(Boolean);
  assert.equal(await list(nodes[0]), ['900', '901', '950']);
  assert.equal(await list(nodes[1]), ['910', '911', '960']);
  assert.equal(await list(nodes[2]), []);
  for (const node of nodes) assert.is(await loadedModule(node), '580.76.05', node);
  assert.is(await userSpace(nodes[1], 960), '580.76.05');
  const repo = JSON.parse(readFileSync(join(dir, 'phoenix_lxc_configs.json'), 'utf8')).nvidia_repo_url as string;
  const sources = async (node: string) =>
    (await onNode(node, 'cd /etc/apt/sources.list.d && for f in cuda*; do echo "$f"; grep -v "^#" "$f"; done')).stdout;
  assert.is(await sources(nodes[0]), `cuda.list\ndeb [signed-by=/usr/share/keyrings/cuda-archive-keyring.gpg] ${repo.replace('ubuntu2404', 'debian12')} /\n`);
  assert.is(await sources(nodes[1]), `cuda.sources\nTypes: deb\nURIs: ${repo.replace('ubuntu2404', 'debian13')}\nSuites: /\n` +
    'Signed-By: /usr/share/keyrings/cuda-archive-keyring.gpg\n');
  const again = await site();
  assert.is(again.code, 0, again.stderr);
  for (const [host, stats] of Object.entries(again.doc!.stats)) assert.is(stats.changed, 0, `${host}: ${changed(again.doc!)}`);
});

test('--limit <second node>: only it and its containers upgrade; the first node is untouched until the full run', async () => {
  if (skip) return;
  setDriverVersion('580.159.04');
  const limited = await site('--limit', nodes[1]);
  assert.is(limited.code, 0, limited.stderr + JSON.stringify(limited.doc && failures(limited.doc)));
  assert.equal(Object.keys(limited.doc!.stats).sort(), [nodes[1], 'ct910', 'ct911', 'ct960'].sort());
  assert.is(await loadedModule(nodes[1]), '580.159.04');
  assert.is(await userSpace(nodes[1], 960), '580.159.04');
  assert.is(await loadedModule(nodes[0]), '580.76.05', 'first node untouched');
  assert.is(await loadedModule(nodes[2]), '580.76.05', 'third node untouched');
  assert.is(await userSpace(nodes[0], 950), '580.76.05', 'first node containers untouched');
  const full = await site();
  assert.is(full.code, 0, full.stderr + JSON.stringify(full.doc && failures(full.doc)));
  assert.is(await loadedModule(nodes[0]), '580.159.04');
  assert.is(await userSpace(nodes[0], 950), '580.159.04');
  assert.is(await loadedModule(nodes[2]), '580.159.04');
  for (const host of [nodes[1], 'ct910', 'ct911', 'ct960']) assert.is(full.doc!.stats[host]!.changed, 0, `${host} already done: ${changed(full.doc!)}`);
});

const ROLL_STEPS = ['Stop the node\'s GPU containers for the driver upgrade', 'Install the NVIDIA driver on the node (download once into the cache)',
  'Start the GPU containers stopped for the upgrade', 'Upgrade the NVIDIA user space of the restarted containers'];

test('a roll with the middle node down: the first is done, the run stops there, the third untouched; the re-run completes', async () => {
  if (skip) return;
  setDriverVersion('580.76.05');
  await stopSshd(nodes[1], { sessions: true });
  try {
    const stopped = await site();
    assert.is(stopped.code, 4, stopped.stderr);
    assert.is(await loadedModule(nodes[0]), '580.76.05', 'the first node rolled before');
    assert.is(await userSpace(nodes[0], 950), '580.76.05');
    assert.match(stopped.stderr.replace(/\s+/g, ' '), new RegExp(`NO MORE HOSTS LEFT: every host of the batch \\[${nodes[1]}\\]`));
    assert.match(stopped.stderr.replace(/\s+/g, ' '), new RegExp(`not run on ${nodes[2]}`));
    assert.is(stopped.doc!.stats[nodes[2]], undefined, 'the third node never ran');
    assert.is(await loadedModule(nodes[2]), '580.159.04', 'third node untouched');
  } finally {
    await startSshd(nodes[1]);
  }
  const again = await site();
  assert.is(again.code, 0, again.stderr + JSON.stringify(again.doc && failures(again.doc)));
  for (const host of [nodes[0], 'ct900', 'ct901', 'ct950']) assert.is(again.doc!.stats[host]!.changed, 0, `${host} was done: ${changed(again.doc!)}`);
  // The second and third nodes roll here, one after the other: every step on the second before the third's install.
  const order = changed(again.doc!);
  const positions = [...ROLL_STEPS.map((step) => `${step} @ ${nodes[1]}`), `${ROLL_STEPS[1]} @ ${nodes[2]}`].map((c) => order.indexOf(c));
  assert.ok(positions.every((p) => p >= 0), `every roll step: ${order.join('; ')}`);
  assert.equal(positions, [...positions].sort((a, b) => a - b), `node by node, in order: ${order.join('; ')}`);
  for (const node of nodes) assert.is(await loadedModule(node), '580.76.05', node);
  for (const [node, vmid] of [[nodes[0], 950], [nodes[1], 960]] as const) assert.is(await userSpace(node, vmid), '580.76.05', `CT ${vmid}`);
  const last = await site();
  for (const [host, stats] of Object.entries(last.doc!.stats)) assert.is(stats.changed, 0, `${host}: ${changed(last.doc!)}`);
});

/** Gives `node` its own driver in the hypervisor file (`nodes.<node>.nvidia_driver`), or takes it away. */
function setNodeDriver(node: string, version: string | undefined): void {
  const file = join(dir, 'phoenix_hypervisor_config.json');
  const hv = JSON.parse(readFileSync(file, 'utf8'));
  if (version === undefined) delete hv.nodes;
  else hv.nodes = { [node]: { nvidia_driver: { version, runfile_url: first.info.artifacts!.runfileUrls[version] } } };
  writeFileSync(file, JSON.stringify(hv, null, 2));
}

/** Pins container `ctid` to a driver version in the lxc file (`lxc_configs.<ctid>.nvidia_driver_version`), or unpins it. */
function pinContainer(ctid: number, version: string | undefined): void {
  const file = join(dir, 'phoenix_lxc_configs.json');
  const lxc = JSON.parse(readFileSync(file, 'utf8'));
  if (version === undefined) delete lxc.lxc_configs[String(ctid)].nvidia_driver_version;
  else lxc.lxc_configs[String(ctid)].nvidia_driver_version = version;
  writeFileSync(file, JSON.stringify(lxc, null, 2));
}

test('a node with its own driver: the second node moves to it, the first stays; a container pinned to the wrong one stops the run', async () => {
  if (skip) return;
  setNodeDriver(nodes[1], '580.159.04');
  pinContainer(960, '580.159.04');
  try {
    const run = await site();
    assert.is(run.code, 0, run.stderr + JSON.stringify(run.doc && failures(run.doc)));
    assert.is(await loadedModule(nodes[1]), '580.159.04');
    assert.is(await userSpace(nodes[1], 960), '580.159.04');
    assert.is(await loadedModule(nodes[0]), '580.76.05', 'the first node keeps the cluster version');
    for (const host of [nodes[0], 'ct900', 'ct901', 'ct950']) assert.is(run.doc!.stats[host]!.changed, 0, `${host}: ${changed(run.doc!)}`);
    const again = await site();
    for (const [host, stats] of Object.entries(again.doc!.stats)) assert.is(stats.changed, 0, `${host}: ${changed(again.doc!)}`);
    pinContainer(960, '580.76.05');
    const refused = await site('--check');
    assert.is(refused.code, 4, refused.stderr);
    assert.is(refused.doc, undefined, 'nothing ran');
    assert.match(refused.stderr, /E_CONFIG_MISMATCH/);
    assert.match(refused.stderr, /container 960 pins nvidia_driver_version '580\.76\.05' but its node \S+ has driver 580\.159\.04/);
    assert.match(refused.stderr, /phoenix_lxc_configs\.json:\d+:\d+/);
    assert.match(refused.stderr, /\$\.lxc_configs\["960"\]\.nvidia_driver_version/);
  } finally {
    setNodeDriver(nodes[1], undefined);
    pinContainer(960, undefined);
  }
});

test.run();
