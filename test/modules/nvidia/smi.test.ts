import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseGpuList, parseGpuQuery, parseSmiTable } from '../../../modules/nvidia/smi.js';
import { readFixtureFile } from '../../support/fixture-connection.js';

const fixture = (name: string): string => readFixtureFile(`shared:fixtures/gpu-h100-ubuntu2404/${name}`);
const H100 = { index: 0, name: 'NVIDIA H100 80GB HBM3', uuid: 'GPU-cfa92afc-44db-c8c4-aa14-cb33961a51f6' };

test('--query-gpu csv (real host, with extra memory.total and compute_cap columns)', () => {
  assert.equal(parseGpuQuery(fixture('nvidia-smi-query-gpu.csv')), [{ ...H100, driver_version: '580.159.04', bus_id: '00000000:00:06.0' }]);
});

test('--query-gpu: two GPUs; an error message is no GPU', () => {
  const two = '0, NVIDIA H100 80GB HBM3, GPU-a, 580.76.05, 00000000:00:06.0\n1, NVIDIA H100 80GB HBM3, GPU-b, 580.76.05, 00000000:00:07.0\n';
  assert.equal(parseGpuQuery(two).map((g) => [g.index, g.uuid, g.bus_id]), [[0, 'GPU-a', '00000000:00:06.0'], [1, 'GPU-b', '00000000:00:07.0']]);
  assert.equal(parseGpuQuery('No devices were found\n'), []);
  assert.equal(parseGpuQuery('Failed to initialize NVML: Driver/library version mismatch\nNVML library version: 580.173\n'), []);
});

test('nvidia-smi -L (real host)', () => {
  assert.equal(parseGpuList(fixture('nvidia-smi-L.txt')), [H100]);
});

test('nvidia-smi -L skips MIG device lines', () => {
  const text = 'GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-1)\n  MIG 1g.5gb     Device  0: (UUID: MIG-2)\n';
  assert.equal(parseGpuList(text), [{ index: 0, name: 'NVIDIA A100-SXM4-40GB', uuid: 'GPU-1' }]);
});

test('the nvidia-smi table (real host)', () => {
  assert.equal(parseSmiTable(fixture('nvidia-smi.txt')), {
    smi: '580.159.04',
    driver: '580.159.04',
    cuda: '13.0',
    gpus: [{ index: 0, name: 'NVIDIA H100 80GB HBM3', bus_id: '00000000:00:06.0' }],
  });
  assert.is(parseSmiTable("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n"), undefined);
});

test.run();
