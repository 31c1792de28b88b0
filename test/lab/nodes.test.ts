import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabLease, announceSkip, labSkipReason } from './fixture.js';
import { fillDisk, freeDisk, labInfo, labNode, onNode, pct, removeNode, startSshd, stopSshd } from '../../lab/lab.js';
import { sshRun } from './ssh-client.js';
import { setupOnce } from '../support/setup-once.js';

// Two stand-in nodes at once (same vmids, separate worlds), the node fault hooks (sshd, full disk), reboot.
// Node-wide changes happen on this file's private node P; pve1/pve2 (shared with parallel runs) are only read.
const test = suite('lab: two nodes, sshd faults');
const lab = new LabLease();
/** Unique per run: pve2 is shared with parallel test runs. */
const CT = String(7300 + (process.pid % 600));
let hadPve2 = false;
let P = '';

setupOnce(test, async () => {
  hadPve2 = !!labInfo()?.nodes.some((n) => n.name === 'pve2');
  await lab.acquire({ nodes: 2, privateNode: true });
  P = lab.node;
});

test.after(async () => {
  for (const node of [P, 'pve2']) {
    await pct(node, 'stop', CT);
    await pct(node, 'destroy', CT);
  }
  if (!hadPve2) await removeNode('pve2');
  await lab.release();
});

test('each node has its own sshd, host key, hostname and /etc/pve; private nodes stay out of the inventory', async () => {
  const [a, b, p] = [labNode('pve1'), labNode('pve2'), labNode(P)];
  assert.equal(new Set([a.port, b.port, p.port]).size, 3);
  const ra = await sshRun(lab.info, a, 'hostname; readlink /etc/pve/local');
  const rb = await sshRun(lab.info, b, 'hostname; readlink /etc/pve/local');
  const rp = await sshRun(lab.info, p, 'hostname');
  assert.is(ra.stdout, 'pve1\nnodes/pve1\n', ra.stderr);
  assert.is(rb.stdout, 'pve2\nnodes/pve2\n', rb.stderr);
  assert.is(rp.stdout, `${P}\n`, rp.stderr);
  const inventory = readFileSync(lab.info.inventory, 'utf8');
  assert.match(inventory, /^ {8}pve1:$/m);
  assert.match(inventory, /^ {8}pve2:$/m);
  assert.not.match(inventory, P);
});

test('the same vmid runs on two nodes at once, each with its own config and rootfs', async () => {
  for (const [node, name] of [[P, 'left'], ['pve2', 'right']] as const) {
    await pct(node, 'stop', CT);
    await pct(node, 'destroy', CT);
    assert.is((await pct(node, 'create', CT, 'local:vztmpl/debian.tar.zst', '--hostname', name)).rc, 0);
    assert.is((await pct(node, 'start', CT)).rc, 0);
  }
  await pct(P, 'exec', CT, '--', 'touch', '/only-left');
  const left = await sshRun(lab.info, labNode(P), `pct exec ${CT} -- sh -c 'hostname; ls /only-left'`);
  const right = await sshRun(lab.info, labNode('pve2'), `pct exec ${CT} -- sh -c 'hostname; ls /only-left'`);
  assert.is(left.stdout, 'left\n/only-left\n');
  assert.is(right.stdout, 'right\n');
  assert.match(right.stderr, 'No such file or directory');
  assert.match((await sshRun(lab.info, labNode('pve2'), 'pct list')).stdout, new RegExp(`^${CT} +running +right`, 'm'));
});

test("a driver 'loaded' on one node is not seen by another, nor by this machine", async () => {
  const marker = `NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release Build  (lab ${process.pid})\n`;
  const dir = join(labNode(P).procDriver, 'nvidia');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'version'), marker);
  try {
    assert.is((await sshRun(lab.info, labNode(P), 'cat /proc/driver/nvidia/version')).stdout, marker);
    assert.is((await pct(P, 'exec', CT, '--', 'cat', '/proc/driver/nvidia/version')).stdout, marker);
    assert.is.not((await sshRun(lab.info, labNode('pve2'), 'cat /proc/driver/nvidia/version')).stdout, marker);
    assert.is.not((await pct('pve2', 'exec', CT, '--', 'cat', '/proc/driver/nvidia/version')).stdout, marker);
    assert.not.ok(existsSync('/proc/driver/nvidia/version'), 'this machine has no driver');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('stopSshd refuses new connections; startSshd brings back the same host key', async () => {
  await stopSshd(P);
  const down = await sshRun(lab.info, labNode(P), 'true');
  assert.is(down.rc, 255);
  assert.match(down.stderr, 'Connection refused');
  await startSshd(P);
  const up = await sshRun(lab.info, labNode(P), 'echo back');
  assert.is(up.stdout, 'back\n', up.stderr);
});

test('fillDisk makes a node directory and a container directory full (ENOSPC) until freeDisk', async () => {
  const write = 'dd if=/dev/zero of="$1/lab-fill-probe" bs=1k count=8 2>&1; rm -f "$1/lab-fill-probe"';
  await fillDisk(P, '/var/tmp');
  try {
    const full = await onNode(P, write, '/var/tmp');
    assert.match(full.stdout, 'No space left on device');
    assert.is((await onNode(P, 'ls -d /var/tmp')).rc, 0, 'existing content stays readable');
  } finally {
    await freeDisk(P, '/var/tmp');
  }
  assert.not.match((await onNode(P, write, '/var/tmp')).stdout, 'No space');
  await fillDisk(P, '/var/cache/apt/archives', { vmid: CT });
  try {
    const full = await pct(P, 'exec', CT, '--', 'sh', '-c', write, 'sh', '/var/cache/apt/archives');
    assert.match(full.stdout, 'No space left on device');
    assert.match((await pct('pve2', 'exec', CT, '--', 'sh', '-c', write, 'sh', '/var/cache/apt/archives')).stdout,
      '8192 bytes', 'the same vmid on the other node is not affected');
  } finally {
    await freeDisk(P, '/var/cache/apt/archives', { vmid: CT });
  }
});

test('reboot on a node is simulated: sessions die, boot_id changes, sshd and onboot CTs come back', async () => {
  const node = labNode(P);
  const before = (await sshRun(lab.info, node, 'cat /proc/sys/kernel/random/boot_id')).stdout;
  await pct(P, 'set', CT, '--onboot', '1');
  await pct(P, 'stop', CT);
  await pct(P, 'start', CT);
  const r = await sshRun(lab.info, node, 'shutdown -r now "lab test"');
  assert.is(r.rc, 0, r.stderr);
  let after = '';
  for (let i = 0; i < 100 && (after === '' || after === before); i++) {
    await new Promise((res) => setTimeout(res, 100));
    after = (await sshRun(lab.info, node, 'cat /proc/sys/kernel/random/boot_id')).stdout;
  }
  assert.match(after, /^[0-9a-f-]{36}\n$/);
  assert.is.not(after, before);
  // As on PVE, sshd is up before the onboot containers are started (pve-guests runs after it): wait for them.
  let status = '';
  for (let i = 0; i < 100 && status !== 'status: running\n'; i++) {
    if (i > 0) await new Promise((res) => setTimeout(res, 100));
    status = (await sshRun(lab.info, node, `pct status ${CT}`)).stdout;
  }
  assert.is(status, 'status: running\n', 'onboot: 1 started again');
  assert.not.equal(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8'), after, 'this machine did not reboot');
});

const skip = labSkipReason();
if (skip) announceSkip('test/lab/nodes.test.ts', skip);
else test.run();
