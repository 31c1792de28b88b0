import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LocalConnection } from '../../../interpreter/connection/local.js';
import { shellCommand } from '../../../interpreter/connection/quote.js';
import { parseComputeOutput } from '../../../modules/nvidia/compute-output.js';
import { COMPUTE_PROGRAM_SOURCE } from '../../../modules/nvidia/compute-program.js';
import { probeNvcc } from '../../../modules/nvidia/probes.js';
import { announceSkip } from '../../lab/fixture.js';

// The real program, compiled by a real nvcc where this machine has one (a CUDA toolkit without a GPU is enough): it
// must compile as the check compiles it and print what parseComputeOutput reads. Without a GPU it reports the CUDA
// error it got (cudaErrorInsufficientDriver without libcuda, cudaErrorNoDevice without a device) by its name.
const conn = new LocalConnection('localhost');
const nvcc = await probeNvcc(conn);

if (!nvcc) announceSkip('compute-program.test.ts', 'no nvcc on this machine (PATH, /usr/local/cuda*/bin)');
else {
  test(`the compute program compiles with ${nvcc.path} (${nvcc.release}) and speaks the parser's format`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'phoenix-compute-'));
    try {
      writeFileSync(join(dir, 'check.cu'), COMPUTE_PROGRAM_SOURCE);
      const compile = await conn.run(shellCommand(nvcc.path, '-O2', '-o', join(dir, 'check'), join(dir, 'check.cu')));
      assert.is(compile.rc, 0, compile.stderr);
      const ran = await conn.run(shellCommand(join(dir, 'check')));
      const out = parseComputeOutput(ran.stdout);
      assert.ok(out.recognized, ran.stdout);
      const [major, minor] = nvcc.release.split('.').map(Number);
      assert.is(out.runtimeVersion, major! * 1000 + minor! * 10, 'the runtime is the toolkit that compiled it');
      if (out.error) {
        assert.match(out.error.name, /^cudaError[A-Z]\w+$/);
        assert.is(ran.rc, 1);
      } else {
        assert.ok(out.done && out.devices.length === out.deviceCount && out.devices.every((d) => d.vecadd?.ok), ran.stdout);
        assert.is(ran.rc, 0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
