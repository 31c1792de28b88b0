import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  applyDevPlan, devPassthroughPaths, devPassthroughValues, devValue, parseDevEntries, planDevEntries, sameDevValue,
} from '../../../modules/nvidia/dev-passthrough.js';

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

test('values: GPU nodes with the asked mode and ids, capability nodes with the host mode only (uid 0 = the CT root)', () => {
  const paths = devPassthroughPaths([1], true);
  const modes = new Map([['/dev/nvidia-caps/nvidia-cap1', '0400'], ['/dev/nvidia-caps/nvidia-cap2', '0444']]);
  assert.equal(devPassthroughValues(paths, { mode: '0660', gid: 44 }, modes).map((v) => v.value), [
    '/dev/nvidia1,gid=44,mode=0660', '/dev/nvidiactl,gid=44,mode=0660', '/dev/nvidia-uvm,gid=44,mode=0660',
    '/dev/nvidia-uvm-tools,gid=44,mode=0660', '/dev/nvidia-caps/nvidia-cap1,mode=0400', '/dev/nvidia-caps/nvidia-cap2,mode=0444',
  ]);
  assert.throws(() => devPassthroughValues(paths, { mode: '0666' }, new Map()), /no host mode known for \/dev\/nvidia-caps\/nvidia-cap1/);
  assert.is(devValue('/dev/nvidia0', { uid: 0, mode: '0666', gid: undefined }), '/dev/nvidia0,mode=0666,uid=0');
});

test('same devN value: any option order, path= spelling and PVE defaults (0660, uid 0, gid 0) written or not', () => {
  assert.ok(sameDevValue('path=/dev/nvidia0,mode=0666,gid=44', '/dev/nvidia0,gid=44,mode=0666'));
  assert.ok(sameDevValue('/dev/nvidia-caps/nvidia-cap1,mode=0400,uid=0', '/dev/nvidia-caps/nvidia-cap1,mode=0400'));
  assert.ok(sameDevValue('/dev/nvidia0', '/dev/nvidia0,mode=0660,gid=0'));
  assert.not.ok(sameDevValue('/dev/nvidia0', '/dev/nvidia0,mode=0666'));
  assert.not.ok(sameDevValue('/dev/nvidia0,mode=0666', '/dev/nvidia1,mode=0666'));
  assert.not.ok(sameDevValue('/dev/nvidia0,mode=0666,gid=44', '/dev/nvidia0,mode=0666'));
  assert.not.ok(sameDevValue('/dev/nvidia0,mode=0666,deny-write=1', '/dev/nvidia0,mode=0666'));
});

test.run();
