import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { octalMode } from '../../../modules/nvidia/device-nodes.js';
import { isRequiredNode, judgeNode, type ProbedNode } from '../../../modules/nvidia/node-access.js';

const node = (path: string, mode: string, over: Partial<ProbedNode> = {}): ProbedNode => ({
  path, mode, owner: 'root', group: 'root', major: 195, minor: 0, uid: 0, gid: 0, read: true, write: true, open: 'ok', ...over,
});

test('octal modes from ls -l', () => {
  assert.equal(['crw-rw-rw-', 'cr--------', 'crw-rw----', 'cr--r--r--', 'c---------', 'crwsr-S--T'].map(octalMode),
    ['0666', '0400', '0660', '0444', '0000', '0740']);
});

test('required nodes: the GPUs, nvidiactl and nvidia-uvm; not uvm-tools, modeset or capabilities', () => {
  assert.equal(['/dev/nvidia0', '/dev/nvidia12', '/dev/nvidiactl', '/dev/nvidia-uvm'].map(isRequiredNode), [true, true, true, true]);
  assert.equal(['/dev/nvidia-uvm-tools', '/dev/nvidia-modeset', '/dev/nvidia-caps/nvidia-cap1'].map(isRequiredNode), [false, false, false]);
});

test('a usable node, or one the access probe did not answer for, has no finding', () => {
  assert.equal(judgeNode(node('/dev/nvidia0', 'crw-rw-rw-')), {});
  assert.equal(judgeNode({ path: '/dev/nvidia0', mode: 'crw-------', owner: 'nobody', group: 'nogroup', major: 195, minor: 0 }), {});
  assert.equal(judgeNode(node('/dev/nvidia0', 'crw-rw-rw-', { open: 'sh: 1: cannot open /dev/nvidia0: No such device or address' })), {},
    'ENXIO: the cgroup let it by and no driver answered (the lab)');
});

test('a required node owned by a mapped id that root may not use: mode 0000 from devN mode=0000', () => {
  const got = judgeNode(node('/dev/nvidiactl', 'c---------', { read: false, write: false, open: 'sh: 1: cannot open /dev/nvidiactl: Permission denied' }));
  assert.is(got.problem, '/dev/nvidiactl is 0000 root:root (0:0): root here cannot read or write it; give it mode 0666 (devN mode=0666, or on the node for a bind mount)');
});

test('write refused only, and an open refused although access(2) allows it (an LSM)', () => {
  assert.match(judgeNode(node('/dev/nvidia0', 'cr--r--r--', { owner: 'nobody', group: 'nogroup', uid: 65534, gid: 65534, write: false })).problem ?? '',
    'cannot write it; make it 0666 on the node');
  assert.match(judgeNode(node('/dev/nvidia-uvm', 'crw-rw-rw-', { open: 'sh: 1: cannot open /dev/nvidia-uvm: Permission denied' })).problem ?? '',
    'yet opening it fails (sh: 1: cannot open /dev/nvidia-uvm: Permission denied): an LSM such as AppArmor refuses it');
});

test('warnings: capability nodes by owner, other optional nodes, and a cgroup refusal of an optional node', () => {
  const cap2 = node('/dev/nvidia-caps/nvidia-cap2', 'cr--------', { minor: 2, read: false, write: false, open: 'x: Permission denied' });
  assert.equal(judgeNode(cap2), { warning: 'nvidia-cap2 not readable (MIG monitor capability, 0400 root:root: only MIG administration needs it)' });
  assert.equal(judgeNode({ ...cap2, read: true }), {}, 'a readable capability node is fine without write');
  const modeset = node('/dev/nvidia-modeset', 'crw-rw----', { owner: 'nobody', group: 'nogroup', uid: 65534, gid: 65534, read: false, write: false });
  assert.equal(judgeNode(modeset), { warning: 'nvidia-modeset not usable by root here (0660 nobody:nogroup (65534:65534))' });
  const caps = judgeNode(node('/dev/nvidia-caps/nvidia-cap1', 'cr--------', { major: 241, minor: 1, open: 'sh: 1: cannot open /dev/nvidia-caps/nvidia-cap1: Operation not permitted' }));
  assert.match(caps.warning ?? '', 'the device cgroup does not allow major 241');
  assert.is(caps.problem, undefined);
});

test.run();
