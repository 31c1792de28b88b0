import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LabLease, announceSkip, labSkipReason } from './fixture.js';
import { labNode, onNode, pct } from '../../lab/lab.js';
import { gpuFixture } from '../support/shared.js';
import { setupOnce } from '../support/setup-once.js';

// The point of the lab: a line in /etc/pve/lxc/<vmid>.conf really decides what a real container sees.
const test = suite('lab GPU passthrough (real LXC, fake NVIDIA nodes)');
const lab = new LabLease();
const CT = '720';
const CONF = `/etc/pve/lxc/${CT}.conf`;
const MOUNT = 'lxc.mount.entry: /dev/nvidia0 dev/nvidia0 none bind,optional,create=file';
const ALLOW = 'lxc.cgroup2.devices.allow: c 195:* rwm';

/** Runs a shell command in the container (through pct, as root on the node). */
async function inCt(script: string): Promise<{ rc: number; out: string }> {
  const r = await pct(lab.node, 'exec', CT, '--', 'sh', '-c', `{ ${script}; } 2>&1`);
  return { rc: r.rc, out: r.stdout };
}

async function restart(): Promise<void> {
  await pct(lab.node, 'stop', CT);
  const r = await pct(lab.node, 'start', CT);
  assert.is(r.rc, 0, r.stderr);
}

/** Inserts raw lines into the MAIN section (before the first [section]), as a careful tool must (domain 1.5). */
async function addToMain(...lines: string[]): Promise<void> {
  const r = await onNode(lab.node, 'f=$1; shift; { sed "/^\\[/,\\$d" "$f"; printf "%s\\n" "$@"; echo; sed -n "/^\\[/,\\$p" "$f"; } ' +
    '>"$f.tmp" && mv "$f.tmp" "$f"', CONF, ...lines);
  assert.is(r.rc, 0, r.stderr);
}

async function removeLines(): Promise<void> {
  await onNode(lab.node, 'grep -v "^lxc\\." "$1" >"$1.tmp"; mv "$1.tmp" "$1"', CONF);
}

let driverBefore: string | undefined;

setupOnce(test, async () => {
  await lab.acquire({ privateNode: true });
  try {
    driverBefore = readFileSync(join(labNode(lab.node).procDriver, 'nvidia', 'version'), 'utf8');
  } catch {
    driverBefore = undefined;
  }
  await pct(lab.node, 'stop', CT);
  await pct(lab.node, 'destroy', CT);
  // Privileged: here the device cgroup decides (test/lab/unprivileged.test.ts has the unprivileged side).
  const r = await pct(lab.node, 'create', CT, 'local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst', '--hostname', 'gpu',
    '--unprivileged', '0');
  assert.is(r.rc, 0, r.stderr);
  // A snapshot section makes "append with >>" land in the wrong section, like on a real node.
  await pct(lab.node, 'snapshot', CT, 'base');
  await pct(lab.node, 'start', CT);
});

test.after(async () => {
  await pct(lab.node, 'stop', CT);
  await pct(lab.node, 'destroy', CT);
  const version = join(labNode(lab.node).procDriver, 'nvidia', 'version');
  if (driverBefore === undefined) rmSync(join(labNode(lab.node).procDriver, 'nvidia'), { recursive: true, force: true });
  else writeFileSync(version, driverBefore);
  await lab.release();
});

test('without the line the container has no /dev/nvidia0', async () => {
  const r = await inCt('ls -l /dev/nvidia0');
  assert.is.not(r.rc, 0);
  assert.match(r.out, 'No such file or directory');
});

test('with the mount line it appears after a restart, as the node device 195:0; the devices cgroup still denies it', async () => {
  await addToMain(MOUNT);
  const before = await inCt('test -e /dev/nvidia0 && echo present || echo absent');
  assert.is(before.out, 'absent\n', 'raw lxc lines apply on the next start only');
  await restart();
  assert.is((await inCt("stat -c '%F %t:%T' /dev/nvidia0")).out, 'character special file c3:0\n');
  // EPERM comes from the devices controller: the cgroup allow line is missing.
  assert.match((await inCt('cat /dev/nvidia0')).out, 'Operation not permitted');
});

test('with the cgroup2 allow line too, the open reaches the (absent) kernel driver', async () => {
  await addToMain(ALLOW);
  await restart();
  // ENXIO: the cgroup let the open through and no nvidia.ko answers on this machine.
  assert.match((await inCt('cat /dev/nvidia0')).out, 'No such device or address');
});

test('removing the lines removes the device at the next restart', async () => {
  await removeLines();
  await restart();
  assert.match((await inCt('ls /dev/nvidia0')).out, 'No such file or directory');
});

test('a line appended after a snapshot section (>>) has no effect', async () => {
  await onNode(lab.node, 'printf "%s\\n" "$2" >>"$1"', CONF, MOUNT);
  await restart();
  assert.match((await inCt('ls /dev/nvidia0')).out, 'No such file or directory');
  await removeLines();
});

test('devN passes the node device with its mode and works without raw lines', async () => {
  await pct(lab.node, 'stop', CT);
  const set = await pct(lab.node, 'set', CT, '--dev0', '/dev/nvidia-uvm,mode=0666', '--dev1', '/dev/nvidia1');
  assert.is(set.rc, 0, set.stderr);
  await pct(lab.node, 'start', CT);
  assert.is((await inCt("stat -c '%a %t:%T' /dev/nvidia-uvm /dev/nvidia1")).out, '666 ee:0\n660 c3:1\n');
  assert.match((await inCt('cat /dev/nvidia-uvm')).out, 'No such device or address');
  await pct(lab.node, 'stop', CT);
  await pct(lab.node, 'set', CT, '--delete', 'dev0,dev1');
  await pct(lab.node, 'start', CT);
});

test("the node's /proc/driver/nvidia/version shows in the container once the node has a driver", async () => {
  const dir = join(labNode(lab.node).procDriver, 'nvidia');
  rmSync(dir, { recursive: true, force: true }); // "module unloaded" (restored in after)
  assert.match((await inCt('cat /proc/driver/nvidia/version')).out, 'No such file or directory');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'version'), readFileSync(gpuFixture('proc-driver-nvidia-version.txt')));
  assert.match((await inCt('cat /proc/driver/nvidia/version')).out, /^NVRM version: .* 580\.159\.04 /);
  assert.match((await onNode(lab.node, 'cat /proc/driver/nvidia/version')).stdout, '580.159.04');
  assert.match((await inCt('echo x >/proc/driver/nvidia/version')).out, /Read-only file system|Permission denied/);
});

const skip = labSkipReason();
if (skip) announceSkip('test/lab/passthrough.test.ts', skip);
else test.run();
