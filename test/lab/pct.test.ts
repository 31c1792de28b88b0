import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LabLease, announceSkip, labSkipReason } from './fixture.js';
import { labNode, pct } from '../../lab/lab.js';
import { VE_RELEASES } from '../../lab/paths.js';
import { sshRun } from './ssh-client.js';
import { setupOnce } from '../support/setup-once.js';

// The lab's pct over real SSH and real LXC: output formats and exit codes as Proxmox's pct prints them.
const test = suite('lab pct (real sshd, real LXC)');
const lab = new LabLease();
const A = '710';
const B = '711';

/** Runs a command on this file's private node over SSH as the lab account, like phoenix does. */
async function onNodeSsh(command: string): Promise<{ rc: number; stdout: string; stderr: string }> {
  return sshRun(lab.info, labNode(lab.node), command);
}

setupOnce(test, async () => {
  await lab.acquire({ privateNode: true });
  for (const id of [A, B]) await pct(lab.node, 'stop', id).then(() => pct(lab.node, 'destroy', id));
});

test.after(async () => {
  for (const id of [A, B]) await pct(lab.node, 'stop', id).then(() => pct(lab.node, 'destroy', id));
  await lab.release();
});

test('create writes a Proxmox-format config and the CT is stopped', async () => {
  const r = await onNodeSsh(`pct create ${A} local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst --hostname lab-a ` +
    '--memory 512 --cores 1 --rootfs local-lvm:8 --net0 name=eth0,bridge=vmbr0,ip=dhcp --unprivileged 1');
  assert.is(r.rc, 0, r.stderr);
  const conf = (await onNodeSsh(`cat /etc/pve/lxc/${A}.conf`)).stdout;
  assert.match(conf, /^arch: amd64$/m);
  assert.match(conf, /^hostname: lab-a$/m);
  assert.match(conf, new RegExp(`^rootfs: local-lvm:vm-${A}-disk-0,size=8G$`, 'm'));
  assert.match(conf, /^net0: name=eth0,hwaddr=BC:24:11:[0-9A-F:]{8},bridge=vmbr0,ip=dhcp,type=veth$/m);
  assert.match(conf, /^unprivileged: 1$/m);
  assert.is((await onNodeSsh(`pct status ${A}`)).stdout, 'status: stopped\n');
});

test('create refuses an existing vmid; status of an unknown CT names its config file', async () => {
  const again = await onNodeSsh(`pct create ${A} local:vztmpl/x.tar.zst`);
  assert.is(again.rc, 255);
  assert.match(again.stderr, `CT ${A} already exists on node '${lab.node}'`);
  const missing = await onNodeSsh('pct status 799');
  assert.is(missing.rc, 255);
  assert.is(missing.stderr, `Configuration file 'nodes/${lab.node}/lxc/799.conf' does not exist\n`);
});

test('exec on a stopped CT fails like pct; after start the command exit code propagates', async () => {
  const stopped = await onNodeSsh(`pct exec ${A} -- true`);
  assert.is(stopped.rc, 255);
  assert.is(stopped.stderr, `container '${A}' not running!\n`);
  assert.is((await onNodeSsh(`pct start ${A}`)).rc, 0);
  assert.is((await onNodeSsh(`pct status ${A}`)).stdout, 'status: running\n');
  const r = await onNodeSsh(`pct exec ${A} -- sh -c 'hostname; echo oops >&2; exit 7'`);
  assert.equal([r.rc, r.stdout, r.stderr], [7, 'lab-a\n', 'oops\n']);
  const started = await onNodeSsh(`pct start ${A}`);
  assert.equal([started.rc, started.stderr], [255, `CT ${A} already running\n`]);
});

test("the node's Proxmox packages answer dpkg-query (PVE 8.4: pve-container 5.2.6; PVE 9.0: 6.0.9), and dpkg is sound", async () => {
  const r = await onNodeSsh("dpkg-query -W -f='${Package} ${Version}\\n' pve-container pve-manager && dpkg --audit && echo audit-clean");
  const release = VE_RELEASES[labNode(lab.node).ve];
  assert.is(r.stdout, `pve-container ${release.pveContainer}\npve-manager ${release.pveManager}\naudit-clean\n`, r.stderr);
});

test('list prints the real header and rows', async () => {
  const r = await onNodeSsh('pct list');
  const lines = r.stdout.split('\n');
  assert.is(lines[0], 'VMID       Status     Lock         Name                ');
  assert.ok(lines.includes(`${A}        running                 lab-a               `), r.stdout);
});

test('push and pull honour --perms and --user; pull of a missing file fails', async () => {
  const push = await onNodeSsh(`printf 'secret\\n' >/tmp/lab-push && pct push ${A} /tmp/lab-push /root/pushed ` +
    '--perms 600 --user nobody --group nogroup');
  assert.is(push.rc, 0, push.stderr);
  const ls = await onNodeSsh(`pct exec ${A} -- stat -c '%a %U %G' /root/pushed`);
  assert.is(ls.stdout, '600 nobody nogroup\n');
  const pull = await onNodeSsh(`pct pull ${A} /root/pushed /tmp/lab-pulled --perms 0640 && stat -c %a /tmp/lab-pulled ` +
    '&& cat /tmp/lab-pulled');
  assert.is(pull.stdout, '640\nsecret\n');
  const missing = await onNodeSsh(`pct pull ${A} /nonexistent /tmp/x`);
  assert.is(missing.rc, 255);
  assert.match(missing.stderr, 'failed to open /nonexistent');
});

test('snapshot, listsnapshot tree, and a clone from the snapshot with raw lxc lines copied', async () => {
  await onNodeSsh(`echo 'lxc.environment: LAB_MARK=1' >>/etc/pve/lxc/${A}.conf && pct exec ${A} -- touch /before`);
  assert.is((await onNodeSsh(`pct snapshot ${A} pre-configured`)).rc, 0);
  await onNodeSsh(`pct exec ${A} -- touch /after`);
  const conf = (await onNodeSsh(`cat /etc/pve/lxc/${A}.conf`)).stdout;
  assert.match(conf, /^parent: pre-configured$/m);
  assert.match(conf, /\n\[pre-configured\]\n(.+\n)*snaptime: \d+\n/);
  const tree = (await onNodeSsh(`pct listsnapshot ${A}`)).stdout.split('\n');
  // printf("%s %-${30 - length(prefix)}s %-23s %s\n") of PVE::GuestHelpers::print_snapshot_tree
  assert.match(tree[0]!, /^`-> pre-configured {14}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {5}no-description$/);
  assert.is(tree[1], ` \`-> ${'current'.padEnd(26)} ${''.padEnd(23)} You are here!`);
  const clone = await onNodeSsh(`pct clone ${A} ${B} --snapname pre-configured --full --hostname lab-b`);
  assert.is(clone.rc, 0, clone.stderr);
  const cloned = (await onNodeSsh(`pct config ${B}`)).stdout;
  assert.match(cloned, /^hostname: lab-b$/m);
  assert.match(cloned, /^lxc\.environment: LAB_MARK=1$/m);
  assert.not.match(cloned, /^(parent|snaptime):/m);
  assert.not.match(cloned, new RegExp(`hwaddr=${/hwaddr=([0-9A-F:]+)/.exec(conf)![1]}`));
  assert.is((await onNodeSsh(`pct start ${B}`)).rc, 0);
  const files = await onNodeSsh(`pct exec ${B} -- sh -c 'ls /before /after 2>&1; hostname; echo $LAB_MARK'`);
  assert.match(files.stdout, /^\/before$/m);
  assert.match(files.stdout, /cannot access '\/after'/);
  assert.match(files.stdout, /^lab-b\n1\n$/m);
});

test('set: devN is validated against the node, memory is written, --delete removes', async () => {
  const bad = await onNodeSsh(`pct set ${B} --dev0 /dev/nvidia9`);
  assert.equal([bad.rc, bad.stderr], [255, 'Device /dev/nvidia9 does not exist\n']);
  assert.is((await onNodeSsh(`pct set ${B} --memory 1024`)).rc, 0);
  assert.match((await onNodeSsh(`pct config ${B}`)).stdout, /^memory: 1024$/m);
  assert.is((await onNodeSsh(`pct stop ${B} && pct set ${B} --dev0 /dev/nvidia0,mode=0666`)).rc, 0);
  assert.match((await onNodeSsh(`pct config ${B}`)).stdout, /^dev0: \/dev\/nvidia0,mode=0666$/m);
  assert.is((await onNodeSsh(`pct set ${B} --delete dev0`)).rc, 0);
  assert.not.match((await onNodeSsh(`pct config ${B}`)).stdout, /^dev0:/m);
});

test('set --delete of several devN on a running CT: one pending delete line lists them all, the next start drops them', async () => {
  assert.is((await onNodeSsh(`pct set ${B} --dev0 /dev/nvidia0,mode=0666 --dev1 /dev/nvidiactl --dev2 /dev/nvidia-uvm`)).rc, 0);
  assert.is((await onNodeSsh(`pct start ${B}`)).rc, 0);
  const del = await onNodeSsh(`pct set ${B} --delete dev0,dev2 && pct set ${B} --delete dev1`);
  assert.is(del.rc, 0, del.stderr);
  const file = (await onNodeSsh(`cat /etc/pve/lxc/${B}.conf`)).stdout;
  assert.match(file, /^\[pve:pending\]\ndelete: dev0,dev2,dev1$/m, file);
  assert.match((await onNodeSsh(`pct config ${B} --current 1`)).stdout, /^dev0: .*\n(.*\n)*dev2: /m, 'still there until the next start');
  assert.not.match((await onNodeSsh(`pct config ${B}`)).stdout, /^dev[0-2]:/m, 'pct config shows the pending state');
  assert.is((await onNodeSsh(`pct stop ${B} && pct start ${B}`)).rc, 0);
  const after = (await onNodeSsh(`cat /etc/pve/lxc/${B}.conf`)).stdout;
  assert.not.match(after, /^dev[0-2]:|pve:pending/m, after);
  await onNodeSsh(`pct stop ${B}`);
});

test('template refuses a running CT, then marks the config and blocks start', async () => {
  const running = await onNodeSsh(`pct template ${A}`);
  assert.equal([running.rc, running.stderr], [255, "you can't convert a CT to template if the CT is running\n"]);
  assert.is((await onNodeSsh(`pct stop ${A} && pct template ${A}`)).rc, 0);
  const conf = (await onNodeSsh(`pct config ${A}`)).stdout;
  assert.match(conf, /^template: 1$/m);
  assert.match(conf, new RegExp(`^rootfs: local-lvm:base-${A}-disk-0,size=8G$`, 'm'));
  const start = await onNodeSsh(`pct start ${A}`);
  assert.equal([start.rc, start.stderr], [255, "you can't start a CT if it's a template\n"]);
});

test('destroy refuses a running CT, then removes config and rootfs', async () => {
  await onNodeSsh(`pct start ${B}`);
  const busy = await onNodeSsh(`pct destroy ${B}`);
  assert.is(busy.rc, 255);
  assert.match(busy.stderr, 'is running');
  assert.is((await onNodeSsh(`pct stop ${B} && pct destroy ${B}`)).rc, 0);
  assert.is((await onNodeSsh(`test -e /etc/pve/lxc/${B}.conf || echo gone`)).stdout, 'gone\n');
  assert.not.match((await onNodeSsh('pct list')).stdout, new RegExp(`^${B} `, 'm'));
});

const skip = labSkipReason();
if (skip) announceSkip('test/lab/pct.test.ts', skip);
else test.run();
