import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { configText, parseConf, parseContainerFacts } from '../../../modules/pct/probe.js';
import { planSteps, sameOption, type PctArgs } from '../../../modules/pct.js';

/**
 * A container config file in Proxmox's format (/etc/pve/lxc/<vmid>.conf, domain 1.5): the description as `#`
 * lines, the main section, a snapshot section; what probeContainer prints after its state line.
 */
const MARK = '@@phoenix-pct@@';
const CONF = `#GPU template%0Afor clones
arch: amd64
cores: 2
hostname: Template-GPU
memory: 2048
net0: name=eth0,bridge=vmbr0,gw=10.0.0.1,hwaddr=BC:24:11:5E:0A:01,ip=10.0.0.201/24,type=veth
ostype: ubuntu
parent: pre-configured
rootfs: local-lvm:vm-901-disk-0,size=32G
unprivileged: 1
lxc.cgroup2.devices.allow: c 195:* rwm

[pre-configured]
arch: amd64
cores: 2
hostname: Template-GPU
memory: 1024
snaptime: 1764090062
`;

const probe = (state: string, conf = CONF) => `${MARK}state ${state}\n${conf}`;
const running = parseContainerFacts(probe('RUNNING'));
const stopped = parseContainerFacts(probe('STOPPED'));
const absent = parseContainerFacts(`${MARK}absent\n`);

test('probe output: state, config keys of the main section, snapshots', () => {
  assert.ok(running.exists && running.running);
  assert.is(running.config.net0.split(',')[0], 'name=eth0');
  assert.is(running.config.memory, '2048', 'the snapshot section does not leak into the main one');
  assert.is(running.config['lxc.cgroup2.devices.allow'], 'c 195:* rwm');
  assert.is(running.config.description, 'GPU template\nfor clones');
  assert.equal(running.snapshots, ['pre-configured']);
  assert.ok(stopped.exists && !stopped.running);
  assert.ok(parseContainerFacts(probe('UNKNOWN')).exists, 'a container LXC does not know (never started) exists, stopped');
  assert.equal(absent, { exists: false, running: false, config: {}, snapshots: [], template: false });
});

test('pending changes are what pct config shows: values set, keys deleted; template from the main section', () => {
  const conf = parseConf('memory: 2048\ncores: 2\ndev0: /dev/nvidia0\n[pve:pending]\nmemory: 4096\ndelete: dev0,!cores\n');
  assert.equal(conf.config, { memory: '4096' });
  assert.equal(conf.snapshots, []);
  assert.ok(parseContainerFacts(probe('STOPPED', 'template: 1\n')).template);
  assert.is(configText({ memory: '1', 'lxc.a': 'x', arch: 'amd64', description: 'a\nb' }), 'arch: amd64\ndescription: a%0Ab\nmemory: 1\nlxc.a: x\n');
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
