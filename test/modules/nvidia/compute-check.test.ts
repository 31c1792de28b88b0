import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkCompute, computeBinaryPath, type ComputeFindings } from '../../../modules/nvidia/compute-check.js';
import { parseComputeOutput } from '../../../modules/nvidia/compute-output.js';
import { COMPUTE_PROGRAM_SOURCE } from '../../../modules/nvidia/compute-program.js';
import { FixtureConnection, readFixtureFile, type FixtureResponse } from '../../support/fixture-connection.js';

// The compute check's commands, counted: a cached binary is run and nothing else happens; a missing one is compiled
// once, from the program's source written beside it. Outputs: test/modules/verify/compute/ (the program's format).
const H100 = 'shared:fixtures/gpu-h100-ubuntu2404/';
const DIR = '/var/cache/phoenix/compute-check';
const BINARY = computeBinaryPath(DIR, { release: '13.0', version: '13.0.88' });
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The cached-binary run: run the binary if it is there, else say it is not built, in one command. */
const RUN_IF_BUILT = `if [ -x ${BINARY} ]; then exec ${BINARY}; fi; echo @@phoenix-compute-not-built@@`;
const ifBuilt = `^${escape(RUN_IF_BUILT)}$`;
const H100_RUN = 'file:test/modules/verify/compute/h100-1gpu.txt';

function host(cached: boolean, extra: FixtureResponse[] = []): FixtureConnection {
  return new FixtureConnection('ct901', [
    ...extra,
    { match: '^command -v nvcc \\|\\| ', stdout: '/usr/local/cuda/bin/nvcc\n' },
    { match: '^/usr/local/cuda/bin/nvcc --version$', stdoutFile: `${H100}nvcc-version.txt` },
    { match: '^ls -l /dev/nvidia\\* /dev/nvidia-caps/ 2>/dev/null$', stdoutFile: `${H100}ls-l-dev-nvidia.txt` },
    cached ? { match: ifBuilt, stdoutFile: H100_RUN } : { match: ifBuilt, stdout: '@@phoenix-compute-not-built@@\n' },
    { match: `^mkdir -p ${escape(DIR)}$` },
    { match: '^/usr/local/cuda/bin/nvcc -O2 ' },
    { match: `^${escape(BINARY)}$`, stdoutFile: H100_RUN },
  ]);
}

async function check(conn: FixtureConnection): Promise<{ found: { compute?: ComputeFindings }; problems: string[] }> {
  const found: { compute?: ComputeFindings } = {};
  const problems: string[] = [];
  await checkCompute(conn, { gpus: { count: 1, indexes: [0] } }, found, problems);
  return { found, problems };
}

test('a cached binary: four commands (find nvcc, its version, the nodes, run it if built), nothing compiled or written', async () => {
  const conn = host(true);
  const { found, problems } = await check(conn);
  assert.equal(problems, []);
  assert.equal(conn.commands, [
    'command -v nvcc || { n=/usr/local/cuda/bin/nvcc; [ -x "$n" ] && { echo "$n"; exit 0; }; ' +
      'for n in $(ls -d /usr/local/cuda-*/bin/nvcc 2>/dev/null | sort -rV); do [ -x "$n" ] && { echo "$n"; exit 0; }; done; exit 1; }',
    '/usr/local/cuda/bin/nvcc --version',
    'ls -l /dev/nvidia* /dev/nvidia-caps/ 2>/dev/null',
    RUN_IF_BUILT,
  ]);
  assert.is(conn.written.size, 0);
  assert.is(found.compute?.compiled, false);
});

test('no cached binary: the cache dir, the source beside the binary, one nvcc run renamed into place, then the run', async () => {
  const conn = host(false);
  const { found, problems } = await check(conn);
  assert.equal(problems, []);
  assert.equal(conn.commands.slice(3), [
    RUN_IF_BUILT,
    `mkdir -p ${DIR}`,
    `/usr/local/cuda/bin/nvcc -O2 -o ${BINARY}.part ${BINARY}.cu && mv -f ${BINARY}.part ${BINARY}`,
    BINARY,
  ]);
  assert.equal([...conn.written.keys()], [`${BINARY}.cu`]);
  assert.is(conn.written.get(`${BINARY}.cu`)!.content.toString(), COMPUTE_PROGRAM_SOURCE);
  assert.is(found.compute?.compiled, true);
  assert.is(found.compute?.summary, 'compute: 1 GPU (NVIDIA H100 80GB HBM3 sm_90), vector add 4 MiB ok, compiled by nvcc 13.0');
});

test('the binary is named by the nvcc version: another toolkit compiles its own, the same one finds it again', () => {
  const other = computeBinaryPath(DIR, { release: '12.8', version: '12.8.93' });
  assert.is.not(other, BINARY);
  assert.is(computeBinaryPath(`${DIR}/`, { release: '13.0', version: '13.0.88' }), BINARY);
  assert.match(BINARY, /^\/var\/cache\/phoenix\/compute-check\/compute-check-[0-9a-f]{16}$/);
});

test('a program that crashes without output is reported with its exit code and stderr, not parsed as a result', async () => {
  const conn = host(true, [{ match: ifBuilt, rc: 139, stderr: 'Segmentation fault (core dumped)\n' }]);
  const { problems } = await check(conn);
  assert.equal(problems, ['compute: the check program did not run (exit 139): Segmentation fault (core dumped)']);
});

test('a program stopped after a device line (killed mid-run): stopped before its result', async () => {
  const conn = host(true, [{ match: ifBuilt, rc: 137,
    stdout: 'phoenix-compute-check 1\nversions runtime 13000 driver 13000\ndevices 1\ndevice 0 9.0 NVIDIA H100 80GB HBM3\n' }]);
  const { problems } = await check(conn);
  assert.equal(problems, ['compute: the check program stopped (exit 137) before its result: device 0 9.0 NVIDIA H100 80GB HBM3']);
});

test('parser: the program\'s lines, device names with spaces, the first error only', () => {
  const ok = parseComputeOutput(readFixtureFile('file:test/modules/verify/compute/h100-2gpu.txt'));
  assert.equal(ok, {
    recognized: true, runtimeVersion: 13000, driverVersion: 13000, deviceCount: 2, done: true,
    devices: [
      { index: 0, capability: '9.0', name: 'NVIDIA H100 80GB HBM3', vecadd: { bytes: 4194304, ok: true } },
      { index: 1, capability: '9.0', name: 'NVIDIA H100 80GB HBM3', vecadd: { bytes: 4194304, ok: true } },
    ],
  });
  const failed = parseComputeOutput('phoenix-compute-check 1\nerror 1 cudaMalloc cudaErrorMemoryAllocation out of memory\n' +
    'error - cudaGetDeviceCount cudaErrorUnknown unknown error\n');
  assert.equal(failed.error, { device: 1, call: 'cudaMalloc', name: 'cudaErrorMemoryAllocation', message: 'out of memory' });
  assert.is(parseComputeOutput('devices 2\ndone\n').recognized, false);
});

test.run();
