import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DETECT_COMMAND, parseDetect } from '../../../modules/nvidia_run/detect.js';
import { readFixtureFile } from '../../support/fixture-connection.js';
import { LocalConnection } from '../../../interpreter/connection/local.js';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FX = 'shared:fixtures/gpu-h100-ubuntu2404/';
const PROPRIETARY = 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC 2024\n';
const out = (s: Record<string, string>) => ['proc', 'installer', 'smi', 'lib', 'modprobe'].map((n) => `@${n}\n${s[n] ?? ''}`).join('');

test('the real H100 host: open module from /proc, user space from nvidia-smi --version', () => {
  const d = parseDetect(out({ proc: readFixtureFile(`${FX}proc-driver-nvidia-version.txt`), smi: readFixtureFile(`${FX}nvidia-smi-version.txt`) }));
  assert.equal(d.kernel, { version: '580.159.04', flavor: 'open', gcc: 'gcc version 15.3.0 (GCC)' });
  assert.is(d.userSpace, '580.159.04');
  assert.is(d.userSpaceFrom, 'nvidia-smi');
  assert.is(d.modprobe, false);
});

test('the proprietary wording (fixtures README) gives the version, not a date column', () => {
  assert.equal(parseDetect(out({ proc: PROPRIETARY })).kernel?.version, '550.54.14');
  assert.is(parseDetect(out({ proc: PROPRIETARY })).kernel?.flavor, 'proprietary');
});

test('nvidia-installer --version wins over the libraries and nvidia-smi; one library is enough without it', () => {
  const installer = '\nnvidia-installer:  version 580.76.05\n  The NVIDIA Software Installer for Unix/Linux.\n';
  const all = parseDetect(out({ installer, lib: 'libnvidia-ml.so.580.159.04\n', smi: readFixtureFile(`${FX}nvidia-smi-version.txt`) }));
  assert.equal([all.userSpace, all.userSpaceFrom], ['580.76.05', 'nvidia-installer']);
  const lib = parseDetect(out({ lib: 'libnvidia-ml.so.580.159.04\n', modprobe: '/usr/sbin/modprobe\n' }));
  assert.equal([lib.userSpace, lib.userSpaceFrom, lib.modprobe], ['580.159.04', 'libnvidia-ml', true]);
});

test('two leftover libraries are not a version; an error from nvidia-smi is not a version; nothing is nothing', () => {
  assert.is(parseDetect(out({ lib: 'libnvidia-ml.so.580.76.05\nlibnvidia-ml.so.580.159.04\n' })).userSpace, undefined);
  const mismatch = 'Failed to initialize NVML: Driver/library version mismatch\nNVML library version: 580.159\n';
  assert.is(parseDetect(out({ smi: mismatch })).userSpace, undefined);
  assert.equal(parseDetect(out({})), { libraries: [], modprobe: false });
});

test('the detection command runs on a machine without any NVIDIA driver and reports nothing', async () => {
  const r = await new LocalConnection('here').run(DETECT_COMMAND);
  assert.is(r.rc, 0);
  const d = parseDetect(r.stdout);
  assert.is(d.userSpace, undefined);
  assert.is(d.kernel, undefined);
});

test('nvidia-smi (NVML start-up) runs only when nvidia-installer does not say the version', async () => {
  const bin = mkdtempSync(join(tmpdir(), 'phoenix-detect-'));
  try {
    const log = join(bin, 'smi-ran');
    writeFileSync(join(bin, 'nvidia-smi'), `#!/bin/sh\ntouch ${log}\necho 'NVIDIA-SMI version  : 580.159.04'\n`, { mode: 0o755 });
    const conn = new LocalConnection('here');
    const env = { PATH: `${bin}:/usr/bin:/bin` };
    const smiOnly = parseDetect((await conn.run(DETECT_COMMAND, { env })).stdout);
    assert.equal([smiOnly.userSpace, smiOnly.userSpaceFrom, existsSync(log)], ['580.159.04', 'nvidia-smi', true]);
    rmSync(log);
    writeFileSync(join(bin, 'nvidia-installer'), "#!/bin/sh\nprintf '\\nnvidia-installer:  version 580.76.05\\n'\n", { mode: 0o755 });
    const installer = parseDetect((await conn.run(DETECT_COMMAND, { env })).stdout);
    assert.equal([installer.userSpace, installer.userSpaceFrom], ['580.76.05', 'nvidia-installer']);
    assert.not.ok(existsSync(log), 'nvidia-smi not started: the installer said the version');
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
});

test.run();
