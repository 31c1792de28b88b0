import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildAptRepos, buildRunfile } from '../../../lab/artifacts/index.js';
import { parseComputeOutput } from '../../../modules/nvidia/compute-output.js';
import { COMPUTE_PROGRAM_SOURCE } from '../../../modules/nvidia/compute-program.js';
import { parseNvccVersion } from '../../../modules/nvidia/versions.js';
import { FIXTURES, FIXTURE_VERSION as V, sh, tempDir } from './test-support.js';

// The lab's stand-in nvcc (from the built cuda-nvcc-12-8 .deb) "compiles" phoenix's compute check into a program
// that prints the real program's format, read by the same parser, deciding from the fake root's driver library,
// loaded module and device nodes. The driver user space comes from the stand-in .run, as in a lab container.
const test = suite('lab artifacts: stand-in nvcc and compute program');
const tmp = tempDir('compute');
const root = path.join(tmp.dir, 'root');
const proc = path.join(root, 'proc/driver/nvidia/version');
const lib = path.join(root, 'usr/lib/x86_64-linux-gnu');
const nvcc = path.join(root, 'usr/local/cuda-12.8/bin/nvcc');
const source = path.join(tmp.dir, 'check.cu');
const program = path.join(tmp.dir, 'check');

test.before(async () => {
  const www = path.join(tmp.dir, 'www');
  await buildAptRepos(www, 'http://127.0.0.1:9');
  const deb = readdirSync(path.join(www, 'cuda')).find((f) => f.startsWith('cuda-nvcc-12-8_'));
  assert.ok(deb, 'the cuda repo has cuda-nvcc-12-8');
  assert.is(sh('dpkg-deb', ['-x', path.join(www, 'cuda', deb!), root]).rc, 0);
  const run = await buildRunfile(V, www);
  const r = sh('sh', [run, '-s', '--no-kernel-module'], { PHOENIX_LAB_ROOT: root });
  assert.is(r.rc, 0, r.stderr);
  mkdirSync(path.dirname(proc), { recursive: true });
  mkdirSync(path.join(root, 'dev'), { recursive: true });
  writeFileSync(source, COMPUTE_PROGRAM_SOURCE);
});
test.after(() => tmp.remove());

/** A fresh fake host: the H100 fixture's module loaded, nvidiactl, nvidia-uvm and the given GPU nodes. */
function host(gpus: string[] = ['nvidia0']): void {
  copyFileSync(path.join(FIXTURES, 'proc-driver-nvidia-version.txt'), proc);
  rmSync(path.join(root, 'dev'), { recursive: true, force: true });
  mkdirSync(path.join(root, 'dev'));
  for (const node of ['nvidiactl', 'nvidia-uvm', ...gpus]) writeFileSync(path.join(root, 'dev', node), '');
  rmSync(path.join(lib, 'libcuda.so.1'), { force: true });
  symlinkSync(`libcuda.so.${V}`, path.join(lib, 'libcuda.so.1'));
}

function compileAndRun(env: Record<string, string> = {}) {
  const built = sh(nvcc, ['-O2', '-o', program, source]);
  assert.is(built.rc, 0, built.stderr);
  return sh(program, [], { PHOENIX_LAB_ROOT: root, ...env });
}

const lines = (...l: string[]): string => `${l.join('\n')}\n`;
const HEAD = ['phoenix-compute-check 1', 'versions runtime 12080 driver 13000'];

test('nvcc --version is the real format (what verify\'s toolkit check reads)', () => {
  assert.equal(parseNvccVersion(sh(nvcc, ['--version']).stdout), { release: '12.8', version: '12.8.93' });
});

test('the compute check compiles into an executable that prints the real program\'s lines for each GPU', () => {
  host(['nvidia0', 'nvidia1']);
  const r = compileAndRun();
  assert.is(r.stdout, lines(...HEAD, 'devices 2', 'device 0 9.0 NVIDIA H100 80GB HBM3', 'vecadd 0 4194304 ok',
    'device 1 9.0 NVIDIA H100 80GB HBM3', 'vecadd 1 4194304 ok', 'done'));
  assert.is(r.rc, 0);
  const parsed = parseComputeOutput(r.stdout);
  assert.ok(parsed.recognized && parsed.done && parsed.devices.every((d) => d.vecadd?.ok));
});

test('only the compute check compiles: another source, no source, a missing file are refused', () => {
  const other = path.join(tmp.dir, 'other.cu');
  writeFileSync(other, 'int main() { return 0; }\n');
  const refused = sh(nvcc, ['-o', program, other]);
  assert.is(refused.rc, 1);
  assert.match(refused.stderr, "compiles only phoenix's compute check");
  assert.is(sh(nvcc, []).rc, 1);
  assert.match(sh(nvcc, ['-o', program, path.join(tmp.dir, 'missing.cu')]).stderr, "nvcc fatal   : Could not open input file");
});

test('no /dev/nvidia-uvm: cudaErrorUnknown; no nvidiactl or no GPU node: cudaErrorNoDevice', () => {
  host();
  rmSync(path.join(root, 'dev/nvidia-uvm'));
  let r = compileAndRun();
  assert.is(r.stdout, lines(...HEAD, 'error - cudaGetDeviceCount cudaErrorUnknown unknown error'));
  assert.is(r.rc, 1);
  host([]);
  r = compileAndRun();
  assert.is(r.stdout, lines(...HEAD, 'error - cudaGetDeviceCount cudaErrorNoDevice no CUDA-capable device is detected'));
  host();
  rmSync(path.join(root, 'dev/nvidiactl'));
  assert.match(compileAndRun().stdout, 'cudaErrorNoDevice');
});

test('a GPU node the caller may not open (EACCES, as an unprivileged CT sees a 0660 host node) is not a device', () => {
  host(['nvidia0', 'nvidia1']);
  for (const dir of [tmp.dir, root]) chmodSync(dir, 0o755);
  for (const node of ['nvidiactl', 'nvidia-uvm', 'nvidia0']) chmodSync(path.join(root, 'dev', node), 0o666);
  chmodSync(path.join(root, 'dev/nvidia1'), 0o600);
  compileAndRun();
  const r = sh('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', program], { PHOENIX_LAB_ROOT: root });
  assert.is(r.stdout, lines(...HEAD, 'devices 1', 'device 0 9.0 NVIDIA H100 80GB HBM3', 'vecadd 0 4194304 ok', 'done'));
});

test('driver library older than the runtime, or none: cudaErrorInsufficientDriver with the driver\'s CUDA (0 = none)', () => {
  host();
  rmSync(path.join(lib, 'libcuda.so.1'));
  symlinkSync('libcuda.so.550.54.14', path.join(lib, 'libcuda.so.1'));
  writeFileSync(path.join(lib, 'libcuda.so.550.54.14'), 'stand-in\n');
  let r = compileAndRun();
  assert.is(r.stdout, lines('phoenix-compute-check 1', 'versions runtime 12080 driver 12040',
    'error - cudaGetDeviceCount cudaErrorInsufficientDriver CUDA driver version is insufficient for CUDA runtime version'));
  rmSync(path.join(lib, 'libcuda.so.1'));
  r = compileAndRun();
  assert.is(r.stdout.split('\n')[1], 'versions runtime 12080 driver 0');
  assert.match(r.stdout, 'cudaErrorInsufficientDriver');
  rmSync(path.join(lib, 'libcuda.so.550.54.14'));
});

test('no module loaded: cudaErrorNoDevice; a module of another version: cudaErrorSystemDriverMismatch', () => {
  host();
  rmSync(proc);
  assert.match(compileAndRun().stdout, 'error - cudaGetDeviceCount cudaErrorNoDevice');
  writeFileSync(proc, 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.95.05  Thu Feb 22 01:44:30 UTC 2025\n');
  assert.match(compileAndRun().stdout, 'error - cudaGetDeviceCount cudaErrorSystemDriverMismatch');
});

test('PHOENIX_LAB_COMPUTE_WRONG=1: GPU 1 adds wrong, exit 2, no done line', () => {
  host(['nvidia0', 'nvidia1']);
  const r = compileAndRun({ PHOENIX_LAB_COMPUTE_WRONG: '1' });
  assert.is(r.rc, 2);
  const parsed = parseComputeOutput(r.stdout);
  assert.equal(parsed.devices[1]?.vecadd, { bytes: 4194304, ok: false, wrong: 1048576, first: 0, got: '-nan', expected: '0' });
  assert.not.ok(parsed.done);
});

test.run();
