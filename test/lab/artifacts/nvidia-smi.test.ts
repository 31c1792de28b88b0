import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildRunfile } from '../../../lab/artifacts/index.js';
import { FIXTURES, FIXTURE_VERSION as V, sh, tempDir } from './test-support.js';

// The stand-in nvidia-smi against the real H100 outputs in /work/shared/fixtures: installed by the
// stand-in .run into a fake root whose /proc/driver/nvidia/version is the fixture's own file.
const test = suite('lab artifacts: stand-in nvidia-smi');
const tmp = tempDir('smi');
const root = path.join(tmp.dir, 'root');
const proc = path.join(root, 'proc/driver/nvidia/version');

test.before(async () => {
  const run = await buildRunfile(V, path.join(tmp.dir, 'www'));
  const r = sh('sh', [run, '-s', '--no-kernel-module'], { PHOENIX_LAB_ROOT: root });
  assert.is(r.rc, 0, r.stderr);
  mkdirSync(path.dirname(proc), { recursive: true });
  mkdirSync(path.join(root, 'dev'), { recursive: true });
  for (const node of ['nvidiactl', 'nvidia0']) writeFileSync(path.join(root, 'dev', node), '');
});
test.after(() => tmp.remove());

function loadFixtureModule(): void {
  copyFileSync(path.join(FIXTURES, 'proc-driver-nvidia-version.txt'), proc);
}

function smi(args: string[], env: Record<string, string> = {}) {
  return sh(path.join(root, 'usr/bin/nvidia-smi'), args, { PHOENIX_LAB_ROOT: root, ...env });
}

function fixture(name: string): string {
  return readFileSync(path.join(FIXTURES, name), 'utf8');
}

test('nvidia-smi prints the fixture byte for byte (timestamp line aside)', () => {
  loadFixtureModule();
  const r = smi([]);
  assert.is(r.rc, 0, r.stdout);
  const [stamp, ...rest] = r.stdout.split('\n');
  const [fixStamp, ...fixRest] = fixture('nvidia-smi.txt').split('\n');
  assert.fixture(rest.join('\n'), fixRest.join('\n'));
  assert.match(stamp!, /^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} {7}$/);
  assert.is(stamp!.length, fixStamp!.length);
});

test('-L, --version and the --query-gpu forms match the fixtures', () => {
  loadFixtureModule();
  assert.fixture(smi(['-L']).stdout, fixture('nvidia-smi-L.txt'));
  assert.fixture(smi(['--version']).stdout, fixture('nvidia-smi-version.txt'));
  assert.fixture(smi(['--query-gpu=index,name,uuid,driver_version,pci.bus_id,memory.total,compute_cap',
    '--format=csv,noheader']).stdout, fixture('nvidia-smi-query-gpu.csv'));
  assert.fixture(smi(['--query-gpu=driver_version', '--format=csv,noheader,nounits']).stdout,
    fixture('nvidia-smi-query-driver_version.txt'));
  assert.is(smi(['--query-gpu=memory.total', '--format=csv']).stdout, 'memory.total [MiB]\n81559 MiB\n');
  assert.is(smi(['--query-gpu=memory.total', '--format=csv,noheader,nounits']).stdout, '81559\n');
  const bad = smi(['--query-gpu=bogus', '--format=csv']);
  assert.is(bad.rc, 2);
  assert.match(bad.stdout, 'Field "bogus" is not a valid field to query.');
});

test('two GPU nodes give two H100s with distinct UUIDs and bus ids', () => {
  loadFixtureModule();
  writeFileSync(path.join(root, 'dev/nvidia1'), '');
  try {
    const rows = smi(['--query-gpu=index,uuid,pci.bus_id', '--format=csv,noheader']).stdout.trim().split('\n');
    assert.is(rows.length, 2);
    const [a, b] = rows.map((r) => r.split(', '));
    assert.is(a![0], '0');
    assert.is(b![0], '1');
    assert.is.not(a![1], b![1]);
    assert.is.not(a![2], b![2]);
    assert.is(smi(['-L']).stdout.split('\n').filter((l) => l.startsWith('GPU ')).length, 2);
    assert.is((smi([]).stdout.match(/NVIDIA H100 80GB HBM3 {10}On/g) ?? []).length, 2);
  } finally {
    rmSync(path.join(root, 'dev/nvidia1'));
  }
});

test('no loaded module: the real "couldn\'t communicate" message, exit 9', () => {
  rmSync(proc, { force: true });
  const r = smi([]);
  assert.is(r.rc, 9);
  assert.is(r.stdout, "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. " +
    'Make sure that the latest NVIDIA driver is installed and running.\n\n');
  loadFixtureModule();
  rmSync(path.join(root, 'dev/nvidiactl'));
  try {
    assert.is(smi(['-L']).rc, 9, 'no /dev/nvidiactl is no driver either');
  } finally {
    writeFileSync(path.join(root, 'dev/nvidiactl'), '');
  }
});

test('module of another version: Driver/library version mismatch, exit 18', () => {
  writeFileSync(proc, 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC 2024\n' +
    'GCC version:  gcc version 12.2.0 (Debian 12.2.0-14) \n');
  const r = smi(['--query-gpu=driver_version', '--format=csv,noheader']);
  assert.is(r.rc, 18);
  assert.is(r.stdout, 'Failed to initialize NVML: Driver/library version mismatch\nNVML library version: 580.159\n');
});

test('a /dev/nvidiactl the caller may not open (unprivileged CT, 0660 host node): Insufficient Permissions, exit 4', () => {
  loadFixtureModule();
  for (const dir of [tmp.dir, root]) chmodSync(dir, 0o755); // nobody must reach the stand-in at all
  const ctl = path.join(root, 'dev/nvidiactl');
  chmodSync(ctl, 0o660);
  try {
    const r = sh('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', path.join(root, 'usr/bin/nvidia-smi'), '-L'],
      { PHOENIX_LAB_ROOT: root });
    assert.is(r.stdout, 'Failed to initialize NVML: Insufficient Permissions\n');
    assert.is(r.rc, 4);
    chmodSync(ctl, 0o666);
    const open = sh('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', path.join(root, 'usr/bin/nvidia-smi'), '-L'],
      { PHOENIX_LAB_ROOT: root });
    assert.is(open.rc, 6, `0666 nvidiactl opens; the 0644 nvidia0 does not count: ${open.stdout}`);
    assert.is(open.stdout, 'No devices were found\n');
  } finally {
    chmodSync(ctl, 0o644);
  }
});

test('PHOENIX_LAB_GPUS overrides the device scan', () => {
  loadFixtureModule();
  const r = smi(['-L'], { PHOENIX_LAB_GPUS: '2' });
  assert.is(r.stdout.trim().split('\n').length, 2);
});

test.run();
