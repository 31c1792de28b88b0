import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { countListedGpus, dockerRunProblem, imageProblem, isMissingImage } from '../../../modules/nvidia/docker-gpu-check.js';

test('nvidia-smi -L lines are counted; warnings and blank lines are not', () => {
  const out = 'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-cfa92afc-44db-c8c4-aa14-cb33961a51f6)\n'
    + 'Warning: persistence mode is disabled on device 00000000:01:00.0\n\n'
    + 'GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-7d6c1f53-0e0b-4f11-9d55-2a4b3c6d8e01)\n';
  assert.is(countListedGpus(out), 2);
  assert.is(countListedGpus('No devices were found\n'), 0);
});

test('an unknown docker failure keeps its exit code and first line', () => {
  assert.is(dockerRunProblem(125, '\ndocker: Error response from daemon: Conflict. The container name is in use.\nmore\n'),
    'docker_gpu: docker run --rm --pull=never --gpus all failed (exit 125): docker: Error response from daemon: Conflict. The container name is in use.');
});

test('a missing image (docker run --pull=never) names the fix; Docker before --pull says so', () => {
  assert.ok(isMissingImage('docker: Error response from daemon: No such image: cuda:12.\n'));
  assert.not.ok(isMissingImage('docker: Error response from daemon: Conflict.\n'));
  assert.is(imageProblem('cuda:12'), 'docker_gpu: image cuda:12 is not present locally (docker pull / docker load it)');
  assert.match(dockerRunProblem(125, 'unknown flag: --pull\nSee \'docker run --help\'.\n'), 'older than 20.10');
});

test.run();
