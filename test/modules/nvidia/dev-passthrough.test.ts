import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyDevPlan, devPassthroughPaths, parseDevEntries, planDevEntries } from '../../../modules/nvidia/dev-passthrough.js';

const want = (paths: string[]) => paths.map((path) => ({ path, value: `${path},mode=0666` }));

test('paths for two GPUs with and without the caps nodes; none for no GPU', () => {
  assert.equal(devPassthroughPaths([0, 1], false), ['/dev/nvidia0', '/dev/nvidia1', '/dev/nvidiactl', '/dev/nvidia-uvm', '/dev/nvidia-uvm-tools']);
  assert.equal(devPassthroughPaths([0], true).slice(-2), ['/dev/nvidia-caps/nvidia-cap1', '/dev/nvidia-caps/nvidia-cap2']);
  assert.equal(devPassthroughPaths([], true), []);
});

test('pct config devN lines, both spellings', () => {
  assert.equal(parseDevEntries('arch: amd64\ndev0: path=/dev/nvidia0,mode=0666\ndev12: /dev/dri/renderD128,gid=104\n'), [
    { key: 'dev0', index: 0, path: '/dev/nvidia0', value: 'path=/dev/nvidia0,mode=0666' },
    { key: 'dev12', index: 12, path: '/dev/dri/renderD128', value: '/dev/dri/renderD128,gid=104' },
  ]);
});

test('a duplicate NVIDIA entry is deleted; new ones skip keys in use and keys being deleted', () => {
  const existing = parseDevEntries('dev0: /dev/nvidia0,mode=0666\ndev1: /dev/nvidia0,mode=0666\ndev2: /dev/fuse\n');
  const plan = planDevEntries(existing, want(['/dev/nvidia0', '/dev/nvidiactl']));
  assert.equal(plan.delete, [{ key: 'dev1', why: 'duplicate of /dev/nvidia0' }]);
  assert.equal(plan.set, [{ key: 'dev3', value: '/dev/nvidiactl,mode=0666', why: 'missing' }]);
  assert.is(applyDevPlan('dev0: /dev/nvidia0,mode=0666\ndev1: /dev/nvidia0,mode=0666\ndev2: /dev/fuse\nlxc.x: y\n', plan),
    'dev0: /dev/nvidia0,mode=0666\ndev2: /dev/fuse\ndev3: /dev/nvidiactl,mode=0666\nlxc.x: y\n');
});

test.run();
