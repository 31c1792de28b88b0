import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nvidiaMajors, parseProcDevices } from '../../../modules/nvidia/proc-devices.js';
import {
  allowRule, mainKey, mainSectionEnd, otherDeviceSources, ownedLines, rawPassthroughLines, replaceOwnedLines,
} from '../../../modules/nvidia/raw-passthrough.js';
import { readFixtureFile } from '../../support/fixture-connection.js';

const devices = parseProcDevices(readFixtureFile('shared:fixtures/gpu-h100-ubuntu2404/proc-devices.txt'));
const majors = nvidiaMajors(devices);
const facts = { devices, majors, usedMajors: new Set<number>() };

test('lines for GPU 1 without caps; none without GPUs', () => {
  assert.equal(rawPassthroughLines({ gpus: [1], majors, includeCaps: false }), [
    'lxc.cgroup2.devices.allow: c 195:* rwm',
    'lxc.cgroup2.devices.allow: c 238:* rwm',
    'lxc.mount.entry: /dev/nvidia1 dev/nvidia1 none bind,optional,create=file',
    'lxc.mount.entry: /dev/nvidiactl dev/nvidiactl none bind,optional,create=file',
    'lxc.mount.entry: /dev/nvidia-uvm dev/nvidia-uvm none bind,optional,create=file',
    'lxc.mount.entry: /dev/nvidia-uvm-tools dev/nvidia-uvm-tools none bind,optional,create=file',
  ]);
  assert.equal(rawPassthroughLines({ gpus: [], majors, includeCaps: true }), []);
});

test('sections: lock and keys only from the main section; [pve:pending] also ends it', () => {
  const lines = 'arch: amd64\nhostname: a\n\n[pve:pending]\nlock: backup\n'.split('\n');
  assert.is(mainSectionEnd(lines), 3);
  assert.is(mainKey(lines, 'lock'), undefined);
  assert.is(mainKey(lines, 'hostname'), 'a');
});

test('allow rules: cgroup v1 and v2, = and :, block and all-device rules are not char rules', () => {
  assert.equal(allowRule('lxc.cgroup.devices.allow = c 195:* rwm'), { major: 195, minor: '*' });
  assert.equal(allowRule('lxc.cgroup2.devices.allow: c 10:200 rwm'), { major: 10, minor: '200' });
  assert.is(allowRule('lxc.cgroup2.devices.allow: b 7:* rwm'), undefined);
  assert.is(allowRule('lxc.cgroup2.devices.allow: a'), undefined);
  assert.is(allowRule('lxc.cgroup2.devices.deny: c 195:* rwm'), undefined);
});

test('lines in snapshot sections are never owned', () => {
  const lines = 'arch: amd64\n\n[s1]\nlxc.cgroup2.devices.allow: c 195:* rwm\nlxc.mount.entry: /dev/nvidia0 dev/nvidia0 none bind\n'.split('\n');
  assert.equal(ownedLines(lines, facts), []);
});

test('other device sources come from mount entries and devN of the main section', () => {
  const lines = ['lxc.mount.entry: /dev/dri dev/dri none bind,create=dir', 'dev0: path=/dev/ttyUSB0', 'lxc.mount.entry: /srv x none bind',
    'lxc.mount.entry: /dev/nvidia0 dev/nvidia0 none bind', '[s]', 'dev1: /dev/hidraw1'];
  assert.equal(otherDeviceSources(lines), ['/dev/dri', '/dev/ttyUSB0']);
});

test('replacing keeps the block where the first owned line was', () => {
  const text = 'a: 1\nlxc.mount.entry: /dev/nvidia0 dev/nvidia0 none bind\n# note\nlxc.cgroup2.devices.allow: c 195:* rwm\nb: 2\n';
  const owned = ownedLines(text.split('\n'), facts);
  assert.equal(owned.map((o) => o.index), [1, 3]);
  assert.is(replaceOwnedLines(text, owned, ['X', 'Y']), 'a: 1\nX\nY\n# note\nb: 2\n');
});

test.run();
