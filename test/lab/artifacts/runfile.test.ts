import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildRunfile } from '../../../lab/artifacts/index.js';
import { corruptOffset } from '../../../lab/artifacts/server.js';
import { FIXTURE_VERSION as V, sh, tempDir } from './test-support.js';

// The stand-in .run: a real makeself archive whose embedded nvidia-installer behaves like the
// real one where phoenix can tell the difference. Installs go into a fake root (PHOENIX_LAB_ROOT).
const test = suite('lab artifacts: stand-in NVIDIA .run');
const tmp = tempDir('runfile');
let run = '';

test.before(async () => {
  run = await buildRunfile(V, path.join(tmp.dir, 'www'));
});
test.after(() => tmp.remove());

/** Runs the .run (like `sh NVIDIA-….run ARGS`) with a fake root. */
function runfile(args: string[], root?: string, env: Record<string, string> = {}, cwd?: string) {
  return sh('sh', [run, ...args], root ? { PHOENIX_LAB_ROOT: root, ...env } : env, cwd);
}

function fakeRoot(name: string): string {
  const dir = path.join(tmp.dir, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function logLines(root: string): string[] {
  const f = path.join(root, 'var/log/nvidia-installer.log');
  return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter((l) => l !== '') : [];
}

test('rebuilding with the same inputs is a no-op', async () => {
  const before = statSync(run).mtimeMs;
  await buildRunfile(V, path.dirname(run));
  assert.is(statSync(run).mtimeMs, before);
});

test('--check passes on the built archive, fails (exit 2) on a corrupted or truncated copy', () => {
  const ok = runfile(['--check']);
  assert.is(ok.rc, 0);
  assert.match(ok.stdout, 'Verifying archive integrity... OK');
  const bad = path.join(tmp.dir, 'corrupt.run');
  copyFileSync(run, bad);
  const bytes = readFileSync(bad);
  const at = corruptOffset(bytes.length);
  for (let i = at; i < at + 16; i++) bytes[i] = bytes[i]! ^ 0xff;
  writeFileSync(bad, bytes);
  const r = sh('sh', [bad, '--check']);
  assert.is(r.rc, 2);
  assert.match(r.stderr, 'Error in MD5 checksums');
  const cut = path.join(tmp.dir, 'cut.run');
  copyFileSync(run, cut);
  truncateSync(cut, Math.floor(bytes.length / 2));
  const c = sh('sh', [cut, '--check']);
  assert.is(c.rc, 2);
  assert.match(c.stderr, 'Unexpected archive size');
});

test('--info and --list read like the real archive; the .sha256sum verifies', () => {
  const info = runfile(['--info']).stdout;
  assert.match(info, `Identification    : NVIDIA Accelerated Graphics Driver for Linux-x86_64 ${V}\n`);
  assert.match(info, `Target directory  : NVIDIA-Linux-x86_64-${V}\n`);
  assert.match(info, 'Application run after extraction : ./nvidia-installer\n');
  assert.match(runfile(['--list']).stdout, './nvidia-installer');
  const sum = readFileSync(`${run}.sha256sum`, 'utf8');
  assert.match(sum, new RegExp(`^[0-9a-f]{64}  NVIDIA-Linux-x86_64-${V}\\.run\\n$`));
  assert.is(sh('sha256sum', ['-c', path.basename(run) + '.sha256sum'], {}, path.dirname(run)).rc, 0);
});

test('-v prints the version line; -x and --target extract without running the installer', () => {
  const v = runfile(['-v']);
  assert.is(v.rc, 0);
  assert.match(v.stdout, `\nnvidia-installer:  version ${V}\n`);
  const cwd = fakeRoot('extract');
  const x = runfile(['-x'], undefined, {}, cwd);
  assert.is(x.rc, 0);
  assert.ok(existsSync(path.join(cwd, `NVIDIA-Linux-x86_64-${V}`, 'nvidia-installer')));
  assert.is(runfile(['--target', path.join(cwd, 'elsewhere'), '-x']).rc, 0);
  assert.ok(existsSync(path.join(cwd, 'elsewhere', 'nvidia-smi')));
});

test('a container-style install (--no-kernel-module) puts user space in place and logs one line', () => {
  const root = fakeRoot('userspace');
  const r = runfile(['--silent', '--no-kernel-module', '--no-x-check', '--ui=none', '-j', '4'], root);
  assert.is(r.rc, 0, r.stderr);
  const lib = path.join(root, 'usr/lib/x86_64-linux-gnu');
  for (const f of ['usr/bin/nvidia-smi', 'usr/bin/nvidia-installer', `usr/lib/x86_64-linux-gnu/libcuda.so.${V}`]) {
    assert.ok(existsSync(path.join(root, f)), f);
  }
  assert.is(readlinkSync(path.join(lib, 'libnvidia-ml.so.1')), `libnvidia-ml.so.${V}`);
  assert.is(readlinkSync(path.join(lib, 'libcuda.so.1')), `libcuda.so.${V}`);
  assert.not.ok(existsSync(path.join(root, 'proc/driver/nvidia/version')), 'no module without the kernel module');
  assert.not.ok(existsSync(path.join(root, `usr/lib/firmware/nvidia/${V}`)));
  assert.equal(logLines(root), [`stand-in nvidia-installer ${V}: --silent --no-kernel-module --no-x-check --ui=none -j 4`]);
  const installed = sh(path.join(root, 'usr/bin/nvidia-installer'), ['--version'], { PHOENIX_LAB_ROOT: root });
  assert.match(installed.stdout, `nvidia-installer:  version ${V}`);
  const info = sh(path.join(root, 'usr/bin/nvidia-installer'), ['-i'], { PHOENIX_LAB_ROOT: root });
  assert.is(info.rc, 0);
  assert.is(info.stdout.replace(/\s+/g, ' ').trim(),
    `The currently installed driver is: 'NVIDIA Accelerated Graphics Driver for Linux-x86_64' (version: ${V}).`);
});

test('-i with nothing installed says so and exits 1', () => {
  const r = runfile(['-i'], fakeRoot('empty'));
  assert.is(r.rc, 1);
  assert.match(r.stdout, 'There is no NVIDIA driver currently installed.');
});

test('a host install loads the open module (open wording), -M proprietary the proprietary one', () => {
  const root = fakeRoot('host');
  assert.is(runfile(['-s', '--dkms', '--no-rebuild-initramfs'], root).rc, 0);
  const proc = readFileSync(path.join(root, 'proc/driver/nvidia/version'), 'utf8');
  assert.match(proc, new RegExp(`^NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  ${V.replace(/\./g, '\\.')}  Release Build  \\(`));
  assert.match(proc, /\nGCC version:  gcc version .* \n$/);
  assert.ok(statSync(path.join(root, `usr/lib/firmware/nvidia/${V}`)).isDirectory());
  const procFile = path.join(tmp.dir, 'proc-version-elsewhere');
  const p = runfile(['-s', '--kernel-module-type=proprietary'], root, { PHOENIX_LAB_PROC_DRIVER: procFile });
  assert.is(p.rc, 0, p.stderr);
  assert.match(readFileSync(procFile, 'utf8'), `NVRM version: NVIDIA UNIX x86_64 Kernel Module  ${V}  `);
});

test('a kernel-module install inside a container is refused like the real installer fails there', () => {
  const root = fakeRoot('ct');
  const env = { PHOENIX_LAB_CONTAINER: '1' };
  const r = runfile(['-s'], root, env);
  assert.is(r.rc, 1);
  assert.match(r.stderr, "ERROR: Unable to load the kernel module 'nvidia.ko'.");
  assert.match(r.stderr, 'ERROR: Installation has failed.');
  mkdirSync(path.join(root, 'proc/driver/nvidia'), { recursive: true });
  writeFileSync(path.join(root, 'proc/driver/nvidia/version'), `NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  ${V}  Release Build\n`);
  const loaded = runfile(['-s'], root, env);
  assert.is(loaded.rc, 1);
  assert.match(loaded.stderr, "An NVIDIA kernel module 'nvidia-uvm' appears to already be loaded in");
  assert.not.ok(existsSync(path.join(root, 'usr/bin/nvidia-smi')), 'nothing installed');
  assert.is(runfile(['-s', '--no-kernel-modules'], root, env).rc, 0);
  assert.is(logLines(root).length, 3);
});

test('an unknown flag is rejected (exit 1) before anything is logged or installed', () => {
  const root = fakeRoot('badflag');
  const r = runfile(['-s', '--no-such-flag'], root);
  assert.is(r.rc, 1);
  assert.match(r.stderr, './nvidia-installer: unrecognized option: "--no-such-flag"');
  assert.match(r.stderr, 'ERROR: Invalid commandline, please run `./nvidia-installer --help` for usage');
  assert.equal(logLines(root), []);
  assert.is(runfile(['--kernel-module-type=both', '-s'], root).rc, 1);
});

test('without kmod the install fails with the real message, even with --no-kernel-module', () => {
  const root = fakeRoot('nokmod');
  const bin = fakeRoot('nokmod-bin');
  symlinkSync('/usr/sbin/ldconfig', path.join(bin, 'ldconfig'));
  const r = runfile(['-s', '--no-kernel-module'], root, { PATH: `/usr/bin:/bin:${bin}` });
  assert.is(r.rc, 1);
  assert.match(r.stderr.replace(/\s+/g, ' '),
    "ERROR: Unable to find the module utility `modprobe`; please make sure you have the package 'module-init-tools' or 'kmod' installed.");
});

test('installing another version replaces the old libraries (the previous install is uninstalled)', async () => {
  const root = fakeRoot('upgrade');
  assert.is(runfile(['-s', '--no-kernel-module'], root).rc, 0);
  const older = await buildRunfile('570.148.08', path.join(tmp.dir, 'www'));
  const r = sh('sh', [older, '-s', '--no-kernel-module'], { PHOENIX_LAB_ROOT: root });
  assert.is(r.rc, 0, r.stderr);
  const lib = path.join(root, 'usr/lib/x86_64-linux-gnu');
  assert.not.ok(existsSync(path.join(lib, `libcuda.so.${V}`)));
  assert.is(readlinkSync(path.join(lib, 'libcuda.so.1')), 'libcuda.so.570.148.08');
  assert.is(readFileSync(path.join(root, 'var/lib/nvidia/log'), 'utf8').split('\n')[0], '570.148.08');
});

test('host upgrade while the module is in use: abort, or with --allow-installation-with-running-driver a mismatch until reboot', async () => {
  const root = fakeRoot('inuse');
  const older = await buildRunfile('570.148.08', path.join(tmp.dir, 'www'));
  assert.is(sh('sh', [older, '-s'], { PHOENIX_LAB_ROOT: root }).rc, 0);
  mkdirSync(path.join(root, 'run/phoenix-lab'), { recursive: true });
  writeFileSync(path.join(root, 'run/phoenix-lab/nvidia-in-use'), '');
  const refused = runfile(['-s'], root);
  assert.is(refused.rc, 1);
  assert.match(refused.stderr, "An NVIDIA kernel module 'nvidia-uvm' appears to already be loaded");
  assert.is(runfile(['-s', '--allow-installation-with-running-driver'], root).rc, 0);
  assert.match(readFileSync(path.join(root, 'proc/driver/nvidia/version'), 'utf8'), '  570.148.08  ');
  mkdirSync(path.join(root, 'dev'), { recursive: true });
  for (const n of ['nvidiactl', 'nvidia0']) writeFileSync(path.join(root, 'dev', n), '');
  const smi = sh(path.join(root, 'usr/bin/nvidia-smi'), [], { PHOENIX_LAB_ROOT: root });
  assert.is(smi.rc, 18);
  assert.match(smi.stdout, 'Driver/library version mismatch');
});

test('a noexec TMPDIR stops the stub with the real message; --tmpdir elsewhere works', () => {
  const mnt = fakeRoot('noexec');
  const mount = sh('mount', ['-t', 'tmpfs', '-o', 'noexec,size=16m', 'tmpfs', mnt]);
  assert.is(mount.rc, 0, `needs root to mount a noexec tmpfs: ${mount.stderr}`);
  try {
    const root = fakeRoot('noexec-root');
    const r = runfile(['-s', '--no-kernel-module'], root, { TMPDIR: mnt });
    assert.is(r.rc, 1);
    assert.match(r.stderr, `ERROR: Temporary directory ${mnt} is not executable - use the --tmpdir option`);
    const ok = runfile(['-s', '--no-kernel-module', '--tmpdir', fakeRoot('exec-tmp')], root, { TMPDIR: mnt });
    assert.is(ok.rc, 0, ok.stderr);
    assert.match(logLines(root)[0]!, '--tmpdir ');
  } finally {
    sh('umount', [mnt]);
  }
});

test('--uninstall removes what the install recorded', () => {
  const root = fakeRoot('uninstall');
  assert.is(runfile(['-s', '--no-kernel-module'], root).rc, 0);
  const r = sh(path.join(root, 'usr/bin/nvidia-installer'), ['--uninstall', '-s'], { PHOENIX_LAB_ROOT: root });
  assert.is(r.rc, 0, r.stderr);
  assert.not.ok(existsSync(path.join(root, 'usr/bin/nvidia-smi')));
  assert.not.ok(existsSync(path.join(root, 'usr/lib/x86_64-linux-gnu/libcuda.so.1')));
  assert.not.ok(existsSync(path.join(root, 'var/lib/nvidia/log')));
});

test.run();
