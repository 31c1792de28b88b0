import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  compareVersions,
  parseDriverVersionQuery,
  parseNvccVersion,
  parseNvidiaInstallerVersion,
  parseNvidiaSmiVersion,
  parseNvmlMismatch,
  parseProcDriverVersion,
  parseSysModuleVersion,
  sameDriverVersion,
  sameNvmlVersion,
} from '../../../modules/nvidia/versions.js';
import { readFixtureFile } from '../../support/fixture-connection.js';

const H100 = 'shared:fixtures/gpu-h100-ubuntu2404/';
const fixture = (name: string): string => readFixtureFile(H100 + name);

test('/proc/driver/nvidia/version: open kernel module wording (real H100 host)', () => {
  assert.equal(parseProcDriverVersion(fixture('proc-driver-nvidia-version.txt')), {
    version: '580.159.04',
    flavor: 'open',
    gcc: 'gcc version 15.3.0 (GCC)',
  });
});

test('/proc/driver/nvidia/version: proprietary wording (published 550 output, fixture README)', () => {
  const text = 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC 2024\n' +
    'GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n';
  assert.equal(parseProcDriverVersion(text), { version: '550.54.14', flavor: 'proprietary', gcc: 'gcc version 12.2.0 (Debian 12.2.0-14)' });
});

test('/proc/driver/nvidia/version: the x86_64 in the wording is not taken for a version; no NVRM line = undefined', () => {
  assert.is(parseProcDriverVersion('NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  590.48.01  Release Build  (dvs-builder@U16)\n')?.version, '590.48.01');
  assert.is(parseProcDriverVersion('cat: /proc/driver/nvidia/version: No such file or directory\n'), undefined);
  assert.is(parseProcDriverVersion(''), undefined);
});

test('/sys/module/nvidia/version (real host) and garbage', () => {
  assert.is(parseSysModuleVersion(fixture('sys-module-nvidia-version.txt')), '580.159.04');
  assert.is(parseSysModuleVersion('cat: /sys/module/nvidia/version: No such file or directory'), undefined);
});

test('nvidia-smi --version (real host)', () => {
  assert.equal(parseNvidiaSmiVersion(fixture('nvidia-smi-version.txt')), {
    smi: '580.159.04',
    nvml: '580.159',
    driver: '580.159.04',
    cuda: '13.0',
  });
  assert.is(parseNvidiaSmiVersion('Failed to initialize NVML: Driver/library version mismatch\n'), undefined);
});

test('nvidia-smi --query-gpu=driver_version (real host): one version per GPU', () => {
  assert.equal(parseDriverVersionQuery(fixture('nvidia-smi-query-driver_version.txt')), ['580.159.04']);
  assert.equal(parseDriverVersionQuery('580.76.05\n580.76.05\n'), ['580.76.05', '580.76.05']);
  assert.equal(parseDriverVersionQuery('Failed to initialize NVML: Driver/library version mismatch\nNVML library version: 580.173\n'), []);
});

test('nvcc --version (real host, CUDA 13.0)', () => {
  assert.equal(parseNvccVersion(fixture('nvcc-version.txt')), { release: '13.0', version: '13.0.88' });
  assert.is(parseNvccVersion('bash: nvcc: command not found'), undefined);
});

test('nvidia-installer --version: current and old layouts', () => {
  assert.is(parseNvidiaInstallerVersion('nvidia-installer:  version 590.48.01\n'), '590.48.01');
  assert.is(
    parseNvidiaInstallerVersion('\nnvidia-installer:  version 352.30  (buildmeister@swio)  Tue Jul 21 19:36:36 PDT 2015\n  The NVIDIA Software Installer for Unix/Linux.\n'),
    '352.30',
  );
  assert.is(parseNvidiaInstallerVersion('sh: nvidia-installer: not found'), undefined);
});

test('NVML mismatch with and without the library line', () => {
  assert.equal(parseNvmlMismatch('Failed to initialize NVML: Driver/library version mismatch\nNVML library version: 580.173\n'), { mismatch: true, library: '580.173' });
  assert.equal(parseNvmlMismatch('Failed to initialize NVML: Driver/library version mismatch\n'), { mismatch: true });
  assert.equal(parseNvmlMismatch(fixture('nvidia-smi.txt')), { mismatch: false });
});

test('version order and equality', () => {
  assert.ok(compareVersions('580.76.05', '580.159.04') < 0);
  assert.ok(compareVersions('590.48.01', '580.159.04') > 0);
  assert.is(compareVersions('580.159', '580.159.0'), 0);
  assert.ok(sameDriverVersion('580.159.04', ' 580.159.04\n'));
  assert.not.ok(sameDriverVersion('570.148.08', '570.148.06'));
  assert.ok(sameNvmlVersion('580.159', '580.159.04'));
  assert.not.ok(sameNvmlVersion('580.15', '580.159.04'));
});

test.run();
