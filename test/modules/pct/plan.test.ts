import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseContainerFacts, parseSnapshots } from '../../../modules/pct/probe.js';
import { planSteps, sameOption, type PctArgs } from '../../../modules/pct.js';

/** Outputs in the format of real `pct status`, `pct config`, `pct listsnapshot` (pve-container). */
const MARK = '@@phoenix-pct@@';
const CONFIG = `arch: amd64
cores: 2
hostname: Template-GPU
memory: 2048
net0: name=eth0,bridge=vmbr0,gw=10.0.0.1,hwaddr=BC:24:11:5E:0A:01,ip=10.0.0.201/24,type=veth
ostype: ubuntu
parent: pre-configured
rootfs: local-lvm:vm-901-disk-0,size=32G
unprivileged: 1
lxc.cgroup2.devices.allow: c 195:* rwm`;
const SNAPSHOTS = "`-> pre-configured               2026-11-25 17:01:02     no-description\n `-> current                     You are here!\n";

function probe(status: string, rc: number, config = '', snapshots = ''): string {
  return `${status}\n${MARK}rc=${rc}\n${config}\n${MARK}\n${snapshots}`;
}

const running = parseContainerFacts(probe('status: running', 0, CONFIG, SNAPSHOTS));
const stopped = parseContainerFacts(probe('status: stopped', 0, CONFIG, SNAPSHOTS));
const absent = parseContainerFacts(probe("Configuration file 'nodes/pve1/lxc/905.conf' does not exist", 255));

test('probe output: status, config keys, snapshots', () => {
  assert.ok(running.exists && running.running);
  assert.is(running.config.net0.split(',')[0], 'name=eth0');
  assert.is(running.config['lxc.cgroup2.devices.allow'], 'c 195:* rwm');
  assert.equal(running.snapshots, ['pre-configured']);
  assert.ok(stopped.exists && !stopped.running);
  assert.equal(absent, { exists: false, running: false, config: {}, snapshots: [], template: false });
  assert.equal(parseSnapshots(''), []);
});

const summaries = (args: PctArgs, facts = running) => planSteps(args, facts).map((s) => s.summary);

test('create or clone when absent, in the order the node needs', () => {
  assert.equal(summaries({ vmid: 905, state: 'started', ostemplate: 'local:vztmpl/debian.tar.zst', options: { hostname: 'x' } }, absent),
    ['create CT 905 from local:vztmpl/debian.tar.zst', 'start CT 905']);
  const clone = planSteps({ vmid: 905, state: 'present', clone_from: 901, snapname: 'pre-configured', options: { hostname: 'w', memory: 8192, unprivileged: true } }, absent);
  assert.equal(clone.map((s) => s.summary), ['clone CT 901 (snapshot pre-configured) to 905']);
  assert.is(clone[0].command, "pct clone 901 905 --snapname pre-configured --full 1 --hostname w && pct set 905 --memory 8192");
});

test('an existing container: ok, or only the differing options and missing states', () => {
  assert.equal(summaries({ vmid: 901, state: 'started', options: { hostname: 'Template-GPU', memory: 2048, net0: 'name=eth0,bridge=vmbr0,ip=10.0.0.201/24,gw=10.0.0.1' } }), []);
  assert.equal(summaries({ vmid: 901, state: 'started', options: { memory: 4096 } }), ['set memory=4096 on CT 901']);
  assert.equal(summaries({ vmid: 901, state: 'started' }, stopped), ['start CT 901']);
  assert.equal(summaries({ vmid: 901, state: 'stopped' }), ['stop CT 901']);
  assert.equal(summaries({ vmid: 901, state: 'stopped' }, absent), [], 'an absent CT without create arguments is already stopped');
  assert.equal(summaries({ vmid: 901, state: 'present', snapshot: 'pre-configured' }), []);
  assert.equal(summaries({ vmid: 901, state: 'present', snapshot: 'after-upgrade' }), ['snapshot CT 901 as after-upgrade']);
  assert.equal(summaries({ vmid: 901, state: 'restarted' }), ['stop CT 901', 'start CT 901']);
  assert.equal(summaries({ vmid: 901, state: 'template' }), ['stop CT 901', 'convert CT 901 to a template']);
  assert.equal(summaries({ vmid: 901, state: 'absent' }), ['stop CT 901', 'destroy CT 901']);
  assert.equal(summaries({ vmid: 905, state: 'absent' }, absent), []);
});

test('wait_for is planned after a start, and create-only options never become pct set', () => {
  assert.equal(summaries({ vmid: 901, state: 'started', wait_for: '/dev/nvidia0' }, stopped), ['start CT 901', 'wait for /dev/nvidia0 in CT 901']);
  assert.equal(summaries({ vmid: 901, state: 'present', options: { unprivileged: false, rootfs: 'local-lvm:8' } }), []);
  assert.equal(summaries({ vmid: 901, state: 'started', wait_for_network: true }, stopped), ['start CT 901', 'wait for the network in CT 901']);
  assert.equal(summaries({ vmid: 901, state: 'started', wait_for_network: true }), [], 'running already: nothing to wait for');
});

test('property strings compare by the properties asked for (Proxmox adds hwaddr, type)', () => {
  assert.ok(sameOption(running.config.net0, 'name=eth0,bridge=vmbr0,ip=10.0.0.201/24,gw=10.0.0.1'));
  assert.not.ok(sameOption(running.config.net0, 'name=eth0,bridge=vmbr1'));
  assert.not.ok(sameOption(undefined, 'name=eth0'));
  assert.ok(sameOption('2048', '2048'));
  assert.not.ok(sameOption('2048', '4096'));
});

test('hostile values stay single shell words', () => {
  const [step] = planSteps({ vmid: 905, state: 'present', ostemplate: "x'; touch /tmp/pwned; '", options: { hostname: '$(id)' } }, absent);
  assert.is(step.command, "pct create 905 'x'\\''; touch /tmp/pwned; '\\''' --hostname '$(id)'");
});

test.run();
