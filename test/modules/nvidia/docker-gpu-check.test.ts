import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { countListedGpus, dockerRunProblem, imageProblem } from '../../../modules/nvidia/docker-gpu-check.js';

test('nvidia-smi -L lines are counted; warnings and blank lines are not', () => {
  const out = 'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-cfa92afc-44db-c8c4-aa14-cb33961a51f6)\n'
    + 'Warning: persistence mode is disabled on device 00000000:01:00.0\n\n'
    + 'GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-7d6c1f53-0e0b-4f11-9d55-2a4b3c6d8e01)\n';
  assert.is(countListedGpus(out), 2);
  assert.is(countListedGpus('No devices were found\n'), 0);
});

test('an unknown docker failure keeps its exit code and first line', () => {
  assert.is(dockerRunProblem(125, '\ndocker: Error response from daemon: Conflict. The container name is in use.\nmore\n'),
    'docker_gpu: docker run --rm --gpus all failed (exit 125): docker: Error response from daemon: Conflict. The container name is in use.');
});

test('docker image inspect: a missing image names the fix, a daemon that does not answer is said as it is', () => {
  assert.is(imageProblem('cuda:12', 'Error: No such object: cuda:12\n'), 'docker_gpu: image cuda:12 is not present locally (docker pull / docker load it)');
  assert.is(imageProblem('cuda:12', 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n'),
    'docker_gpu: docker image inspect cuda:12 failed: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?');
});

test.run();
