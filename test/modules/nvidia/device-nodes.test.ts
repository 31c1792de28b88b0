import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDeviceListing } from '../../../modules/nvidia/device-nodes.js';
import { readFixtureFile } from '../../support/fixture-connection.js';

test('ls -l /dev/nvidia* /dev/nvidia-caps/ (real host): the caps directory listed twice gives each node once', () => {
  const nodes = parseDeviceListing(readFixtureFile('shared:fixtures/gpu-h100-ubuntu2404/ls-l-dev-nvidia.txt'));
  assert.equal(nodes.map((n) => `${n.path} ${n.major}:${n.minor} ${n.mode} ${n.owner}:${n.group}`), [
    '/dev/nvidia0 195:0 crw-rw-rw- root:root',
    '/dev/nvidiactl 195:255 crw-rw-rw- root:root',
    '/dev/nvidia-uvm 238:0 crw-rw-rw- root:root',
    '/dev/nvidia-uvm-tools 238:1 crw-rw-rw- root:root',
    '/dev/nvidia-caps/nvidia-cap1 241:1 cr-------- root:root',
    '/dev/nvidia-caps/nvidia-cap2 241:2 cr--r--r-- root:root',
  ]);
});

test('regular files, directories and errors are not device nodes', () => {
  const text = "ls: cannot access '/dev/nvidia*': No such file or directory\ndrwxr-xr-x 2 root root 80 Nov 25 16:56 /dev/nvidia-caps\n-rw-r--r-- 1 root root 0 Nov 25 16:56 /dev/nvidia-fake\n";
  assert.equal(parseDeviceListing(text), []);
});

test('owner and group as an unprivileged container shows host root: nobody nogroup', () => {
  const [node] = parseDeviceListing('crw-rw---- 1 nobody nogroup 238,   0 Nov 25 16:56 /dev/nvidia-uvm\n');
  assert.equal(node, { path: '/dev/nvidia-uvm', mode: 'crw-rw----', owner: 'nobody', group: 'nogroup', major: 238, minor: 0 });
});

test.run();
