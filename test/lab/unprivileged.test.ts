import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LabLease, announceSkip, labSkipReason } from './fixture.js';
import { labNode, onNode, pct } from '../../lab/lab.js';
import { setupOnce } from '../support/setup-once.js';

// An unprivileged container as Proxmox runs one (pve-container update_lxc_config): a user namespace with the id map
// u/g 0 100000 65536, a disk owned by the mapped ids, and a device cgroup that is a deny-list (userns.conf.d/01-pve.conf),
// so what the CT can open is decided by the node's file owner and mode, through the bind mount or devN node.
const test = suite('lab unprivileged containers (real LXC user namespace)');
const lab = new LabLease();
const CT = '740';
const PRIVILEGED = '741';
const TEMPLATE = 'local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst';
const GPU_LINES = [
  'lxc.cgroup2.devices.allow: c 195:* rwm',
  'lxc.mount.entry: /dev/nvidia0 dev/nvidia0 none bind,optional,create=file',
  'lxc.mount.entry: /dev/nvidia-caps dev/nvidia-caps none bind,optional,create=dir',
];

async function inCt(vmid: string, script: string): Promise<string> {
  const r = await pct(lab.node, 'exec', vmid, '--', 'sh', '-c', `{ ${script}; } 2>&1`);
  return r.stdout;
}

async function create(vmid: string, ...options: string[]): Promise<void> {
  await pct(lab.node, 'stop', vmid);
  await pct(lab.node, 'destroy', vmid);
  const r = await pct(lab.node, 'create', vmid, TEMPLATE, '--hostname', `u${vmid}`, ...options);
  assert.is(r.rc, 0, r.stderr);
}

async function appendLines(vmid: string, lines: string[]): Promise<void> {
  const r = await onNode(lab.node, 'f=$1; shift; printf "%s\\n" "$@" >>"$f"', `/etc/pve/lxc/${vmid}.conf`, ...lines);
  assert.is(r.rc, 0, r.stderr);
}

async function start(vmid: string): Promise<void> {
  const r = await pct(lab.node, 'start', vmid);
  assert.is(r.rc, 0, r.stderr);
}

setupOnce(test, async () => {
  await lab.acquire({ privateNode: true });
  await create(CT); // pct create's default, as on Proxmox: unprivileged 1
  await create(PRIVILEGED, '--unprivileged', '0');
});

test.after(async () => {
  for (const vmid of [CT, PRIVILEGED]) {
    await pct(lab.node, 'stop', vmid);
    await pct(lab.node, 'destroy', vmid);
  }
  await lab.release();
});

test('pct create defaults to unprivileged, and the CT runs with the id map 0 100000 65536', async () => {
  assert.match((await pct(lab.node, 'config', CT)).stdout, /^unprivileged: 1$/m);
  await start(CT);
  assert.is((await inCt(CT, 'cat /proc/self/uid_map /proc/self/gid_map')).replace(/ +/g, ' ').trim(),
    '0 100000 65536\n 0 100000 65536');
  assert.is(await inCt(CT, 'id -u; stat -c "%u:%g" / /usr/bin/passwd; stat -c %a /usr/bin/passwd'), '0\n0:0\n0:0\n4755\n');
});

test("a file the CT's root writes is owned by host uid 100000 on the node", async () => {
  assert.is(await inCt(CT, 'echo hi >/root/made-inside && stat -c "%u:%g" /root/made-inside'), '0:0\n');
  const upper = `${labNode(lab.node).lxcPath}/${CT}/upper/root/made-inside`;
  assert.is((await onNode(lab.node, 'stat -c "%u:%g" "$1"', upper)).stdout, '100000:100000\n');
});

test('the CT cannot do what only the host root may: mknod, load modules, write the node\'s /proc/driver', async () => {
  assert.match(await inCt(CT, 'mknod /tmp/n c 195 0'), 'Operation not permitted');
  assert.match(await inCt(CT, 'echo x >/proc/sys/kernel/hostname'), /Permission denied|Read-only file system/);
  assert.match(await inCt(CT, 'cat /proc/devices | grep -c nvidia'), /^[1-9]/);
});

test('pct set refuses to change unprivileged, as PVE does', async () => {
  const r = await pct(lab.node, 'set', CT, '--unprivileged', '0');
  assert.is(r.rc, 255);
  assert.match(r.stderr, "unable to modify read-only option: 'unprivileged'");
  const d = await pct(lab.node, 'set', CT, '--delete', 'unprivileged');
  assert.match(d.stderr, "unable to delete read-only option: 'unprivileged'");
});

test('raw lines: the bind mount decides; host root-owned nodes show as nobody; 0666 opens, 0400 cap1 does not', async () => {
  await pct(lab.node, 'stop', CT);
  await appendLines(CT, GPU_LINES);
  await start(CT);
  assert.is(await inCt(CT, 'stat -c "%u:%g %a %t:%T" /dev/nvidia0 /dev/nvidia-caps/nvidia-cap1'),
    '65534:65534 666 c3:0\n65534:65534 400 f1:1\n');
  // ENXIO: the open passed every check and reached the (absent) kernel driver.
  assert.match(await inCt(CT, 'cat /dev/nvidia0'), 'No such device or address');
  // EACCES: the node's 0400 root-only MIG config capability is unreadable even for the CT's root.
  assert.match(await inCt(CT, 'cat /dev/nvidia-caps/nvidia-cap1'), 'Permission denied');
});

test('unprivileged: without the cgroup allow line the device still opens (PVE makes it a deny-list)', async () => {
  await pct(lab.node, 'stop', CT);
  const drop = await onNode(lab.node, 'sed -i "/devices.allow/d" "$1"', `/etc/pve/lxc/${CT}.conf`);
  assert.is(drop.rc, 0, drop.stderr);
  await start(CT);
  assert.match(await inCt(CT, 'cat /dev/nvidia0'), 'No such device or address');
});

test('privileged: the same lines without the allow rule are denied by the device cgroup', async () => {
  await appendLines(PRIVILEGED, GPU_LINES.slice(1));
  await start(PRIVILEGED);
  assert.is((await inCt(PRIVILEGED, 'cat /proc/self/uid_map')).replace(/ +/g, ' ').trim(), '0 0 4294967295');
  assert.is(await inCt(PRIVILEGED, 'stat -c "%u:%g" /dev/nvidia0'), '0:0\n');
  assert.match(await inCt(PRIVILEGED, 'cat /dev/nvidia0'), 'Operation not permitted');
});

test('devN: nodes are made with the container-side uid/gid mapped to the host (PVE create_passthrough_device_node)', async () => {
  await pct(lab.node, 'stop', CT);
  // No raw lines: a bind of the whole /dev/nvidia-caps dir would be mounted over the devN node.
  const drop = await onNode(lab.node, 'sed -i "/^lxc\\./d" "$1"', `/etc/pve/lxc/${CT}.conf`);
  assert.is(drop.rc, 0, drop.stderr);
  const set = await pct(lab.node, 'set', CT, '--dev0', '/dev/nvidia1,mode=0666', '--dev1', '/dev/nvidia-caps/nvidia-cap2,gid=44,mode=0440');
  assert.is(set.rc, 0, set.stderr);
  await start(CT);
  assert.is(await inCt(CT, 'stat -c "%u:%g %a %t:%T" /dev/nvidia1 /dev/nvidia-caps/nvidia-cap2'), '0:0 666 c3:1\n0:44 440 f1:2\n');
  const copy = `${labNode(lab.node).lxcPath}/${CT}/passthrough/dev/nvidia-caps/nvidia-cap2`;
  assert.is((await onNode(lab.node, 'stat -c "%u:%g %a" "$1"', copy)).stdout, '100000:100044 440\n');
  assert.match(await inCt(CT, 'cat /dev/nvidia1'), 'No such device or address');
});

test('a clone of an unprivileged CT is unprivileged on the same shifted disk', async () => {
  await pct(lab.node, 'stop', CT);
  await pct(lab.node, 'destroy', '742');
  const snap = await pct(lab.node, 'snapshot', CT, 'base');
  assert.is(snap.rc, 0, snap.stderr);
  const clone = await pct(lab.node, 'clone', CT, '742', '--snapname', 'base');
  assert.is(clone.rc, 0, clone.stderr);
  try {
    await start('742');
    assert.is(await inCt('742', 'cat /root/made-inside; stat -c "%u:%g" / /root/made-inside'), 'hi\n0:0\n0:0\n');
  } finally {
    await pct(lab.node, 'stop', '742');
    await pct(lab.node, 'destroy', '742');
  }
});

test('the stand-in .run as the mapped root: user space installs (host uid 100000), the kernel module is refused', async () => {
  await pct(lab.node, 'start', CT);
  const url = lab.info.artifacts?.runfileUrls['580.159.04'];
  assert.ok(url, "the lab's artifact server offers the stand-in .run");
  const fetch = await pct(lab.node, 'exec', CT, '--', 'curl', '-fsS', '-o', '/root/driver.run', url!);
  assert.is(fetch.rc, 0, fetch.stderr);
  const module = await pct(lab.node, 'exec', CT, '--', 'sh', '/root/driver.run', '--silent');
  assert.is(module.rc, 1, 'the kernel module cannot be built or loaded from a container');
  assert.match(module.stdout + module.stderr, "Unable to load the kernel module 'nvidia.ko'");
  const user = await pct(lab.node, 'exec', CT, '--', 'sh', '/root/driver.run', '--silent', '--no-kernel-modules');
  assert.is(user.rc, 0, user.stdout + user.stderr);
  assert.is(await inCt(CT, 'stat -c "%u:%g %a" /usr/bin/nvidia-smi /usr/bin/nvidia-modprobe'), '0:0 755\n0:0 4755\n');
  const onDisk = `${labNode(lab.node).lxcPath}/${CT}/upper/usr/bin/nvidia-smi`;
  assert.is((await onNode(lab.node, 'stat -c "%u:%g" "$1"', onDisk)).stdout, '100000:100000\n');
});

const skip = labSkipReason();
if (skip) announceSkip('test/lab/unprivileged.test.ts', skip);
else test.run();
