import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { namesOfMajor, nvidiaMajors, parseProcDevices } from '../../../modules/nvidia/proc-devices.js';
import { readFixtureFile } from '../../support/fixture-connection.js';

const devices = parseProcDevices(readFixtureFile('shared:fixtures/gpu-h100-ubuntu2404/proc-devices.txt'));

test('real host: uvm 238, caps 241, 243 is hidraw; block devices are not character majors', () => {
  const majors = nvidiaMajors(devices);
  assert.is(majors.nvidia, 195);
  assert.is(majors.nvidiactl, 195);
  assert.is(majors.uvm, 238);
  assert.is(majors.caps, 241);
  assert.equal([...majors.all.entries()], [
    [195, ['nvidia', 'nvidiactl']], [238, ['nvidia-uvm']], [239, ['nvidia-nvswitch']], [240, ['nvidia-nvlink']],
    [241, ['nvidia-caps']], [242, ['nvidia-caps-imex-channels']],
  ]);
  assert.equal(namesOfMajor(devices, 243), ['hidraw']);
  assert.equal(namesOfMajor(devices, 253), ['dimmctl'], 'block 253 (zram) is not listed');
  assert.equal(namesOfMajor(devices, 259), []);
});

test('names with spaces or slashes and a missing uvm', () => {
  const text = 'Character devices:\n  4 /dev/vc/0\n203 cpu/cpuid\n195 nvidia-frontend\n\nBlock devices:\n  8 sd\n';
  const parsed = parseProcDevices(text);
  assert.equal(parsed, [{ major: 4, name: '/dev/vc/0' }, { major: 203, name: 'cpu/cpuid' }, { major: 195, name: 'nvidia-frontend' }]);
  const majors = nvidiaMajors(parsed);
  assert.is(majors.uvm, undefined);
  assert.is(majors.nvidia, undefined);
  assert.equal([...majors.all.keys()], [195]);
});

test.run();
