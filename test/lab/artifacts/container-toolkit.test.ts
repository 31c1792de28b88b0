import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AptManifest } from '../../../lab/artifacts/index.js';
import type { ArtifactServer } from '../../../lab/artifacts/server.js';
import { makeAptTree, serveAptRepos, sh, tempDir, type Ran } from './test-support.js';

/**
 * The NVIDIA Container Toolkit stand-in: its signed flat repository (this machine's apt-get, a throwaway tree),
 * the four packages installed with real dpkg into a temp root, and the stand-in docker in that root deciding
 * `docker run --gpus all` from the files there as Docker with the toolkit does.
 */
const test = suite('lab artifacts: NVIDIA Container Toolkit and the stand-in docker');
const tmp = tempDir('toolkit');
const www = path.join(tmp.dir, 'www');
const root = path.join(tmp.dir, 'root');
const IMAGE = 'phoenix-lab/cuda-base:bookworm';
const PACKAGES = ['nvidia-container-toolkit', 'nvidia-container-toolkit-base', 'libnvidia-container-tools', 'libnvidia-container1'];
let server: ArtifactServer;
let apt: AptManifest;

test.before(async () => {
  ({ server, apt } = await serveAptRepos(www));
});
test.after(async () => {
  await server.close();
  tmp.remove();
});

const toolkitLine = (): string => `deb [signed-by=${path.join(www, apt.containerToolkit.keyBinary)}] ${apt.containerToolkit.url} /\n`;
const repoDir = (): string => path.join(www, 'libnvidia-container/stable/deb/amd64');

/** The stand-in docker of the temp root, with its tools on PATH as in a container (`inContainer`: LXC detection). */
function docker(args: string[], options: { hook?: boolean; inContainer?: boolean } = {}): Ran {
  const bin = path.join(tmp.dir, options.hook === false ? 'bin-nohook' : 'bin');
  return sh(path.join(root, 'usr/bin/docker'), args, {
    PHOENIX_LAB_ROOT: root, PHOENIX_LAB_CONTAINER: options.inContainer === false ? '0' : '1', PATH: `${bin}:/usr/bin:/bin`,
  });
}

/** PATH dirs: every tool of the root (bin), and the same without the toolkit's hook (bin-nohook). */
function linkTools(): void {
  for (const [dir, skip] of [['bin', ''], ['bin-nohook', 'nvidia-container-runtime-hook']]) {
    mkdirSync(path.join(tmp.dir, dir), { recursive: true });
    for (const tool of readdirSync(path.join(root, 'usr/bin')).filter((t) => t !== skip)) {
      sh('ln', ['-sf', path.join(root, 'usr/bin', tool), path.join(tmp.dir, dir, tool)]);
    }
  }
}

test('the repository is signed, flat and NVIDIA-shaped: apt-get update verifies it with the key served as gpgkey', async () => {
  assert.match(readFileSync(path.join(www, 'libnvidia-container/gpgkey'), 'utf8'), /^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
  assert.is(apt.containerToolkit.keyUrl, `${server.url}/libnvidia-container/gpgkey`);
  assert.is.not(apt.containerToolkit.fingerprint, apt.cuda.fingerprint);
  const t = makeAptTree(tmp.dir, 'update', { 'nvidia-container-toolkit.list': toolkitLine() });
  const r = await t.run('apt-get', 'update');
  assert.is(r.rc, 0, r.stderr);
  assert.not.match(r.stderr, /^[WE]:/m);
  assert.match(r.stdout, `${apt.containerToolkit.url.replace(/\/$/, "")}  InRelease`);
});

test('the newest is 1.18.0-1; all four pinned to 1.17.8-1 resolve together; the toolkit wants its base at its version', async () => {
  const t = makeAptTree(tmp.dir, 'resolve', { 'nvidia-container-toolkit.list': toolkitLine() });
  assert.is((await t.run('apt-get', 'update')).rc, 0);
  const newest = (await t.run('apt-get', '-s', 'install', 'nvidia-container-toolkit')).stdout;
  for (const p of PACKAGES) assert.match(newest, `Inst ${p} (1.18.0-1 `);
  const pinned = await t.run('apt-get', '-s', 'install', ...PACKAGES.map((p) => `${p}=1.17.8-1`));
  assert.is(pinned.rc, 0, pinned.stdout + pinned.stderr);
  for (const p of PACKAGES) assert.match(pinned.stdout, `Inst ${p} (1.17.8-1 `);
  const mixed = await t.run('apt-get', '-s', 'install', 'nvidia-container-toolkit=1.17.8-1', 'nvidia-container-toolkit-base=1.18.0-1');
  assert.is.not(mixed.rc, 0, 'a base of another version is refused');
});

test('dpkg installs the four packages into a root: the tools, and config.toml as a conffile with #no-cgroups = false', () => {
  for (const d of ['var/lib/dpkg/info', 'var/lib/dpkg/updates', 'var/lib/dpkg/triggers']) mkdirSync(path.join(root, d), { recursive: true });
  writeFileSync(path.join(root, 'var/lib/dpkg/status'), '');
  const debs = readdirSync(repoDir()).filter((f) => f.endsWith('_1.17.8-1_amd64.deb')).map((f) => path.join(repoDir(), f));
  assert.is(debs.length, 4);
  const docker = readdirSync(path.join(www, 'docker/pool/stable')).filter((f) => /^docker-ce(-cli)?_/.test(f)).map((f) => path.join(www, 'docker/pool/stable', f));
  const r = sh('dpkg', ['--root', root, '--force-depends', '--force-not-root', '--force-script-chrootless', '-i', ...debs, ...docker]);
  assert.is(r.rc, 0, r.stdout + r.stderr);
  for (const tool of ['nvidia-ctk', 'nvidia-container-runtime', 'nvidia-container-cli', 'nvidia-container-runtime-hook', 'docker']) {
    assert.ok(sh('test', ['-x', path.join(root, 'usr/bin', tool)]).rc === 0, `${tool} installed`);
  }
  const conffiles = sh('dpkg-query', ['--admindir', path.join(root, 'var/lib/dpkg'), '-W', '-f=${Conffiles}', 'nvidia-container-toolkit-base']).stdout;
  assert.match(conffiles, '/etc/nvidia-container-runtime/config.toml ');
  const config = readFileSync(path.join(root, 'etc/nvidia-container-runtime/config.toml'), 'utf8');
  assert.match(config, /\n\[nvidia-container-cli\]\n(?:[^[].*\n)*#no-cgroups = false\n/);
  assert.is(sh(path.join(root, 'usr/bin/nvidia-ctk'), ['--version']).stdout.split('\n')[0], 'NVIDIA Container Toolkit CLI version 1.17.8');
  linkTools();
});

test('docker run --gpus all: no toolkit hook on dockerd\'s PATH -> could not select device driver (125)', () => {
  const r = docker(['run', '--rm', '--gpus', 'all', IMAGE, 'nvidia-smi', '-L'], { hook: false });
  assert.is(r.rc, 125);
  assert.match(r.stderr, 'docker: Error response from daemon: could not select device driver "" with capabilities: [[gpu]].');
});

test('docker run --gpus all: no driver user space in the container -> the libnvidia-ml error (125)', () => {
  const r = docker(['run', '--rm', '--gpus', 'all', IMAGE, 'nvidia-smi', '-L']);
  assert.is(r.rc, 125);
  assert.match(r.stderr, 'error running prestart hook #0: exit status 1, stdout: , stderr: Auto-detected mode as \'legacy\'\n'
    + 'nvidia-container-cli: initialization error: load library failed: libnvidia-ml.so.1: cannot open shared object file: no such file or directory: unknown.');
});

test('docker run --gpus all in a container with the shipped config -> bpf_prog_query(BPF_CGROUP_DEVICE) failed (125); outside a container it would pass', () => {
  const lib = path.join(root, 'usr/lib/x86_64-linux-gnu');
  mkdirSync(lib, { recursive: true });
  writeFileSync(path.join(lib, 'libnvidia-ml.so.580.76.05'), 'stand-in\n');
  sh('ln', ['-sf', 'libnvidia-ml.so.580.76.05', path.join(lib, 'libnvidia-ml.so.1')]);
  const r = docker(['run', '--rm', '--gpus', 'all', IMAGE, 'true']);
  assert.is(r.rc, 125);
  assert.match(r.stderr, 'nvidia-container-cli: mount error: failed to add device rules: unable to find any existing device filters '
    + 'attached to the cgroup: bpf_prog_query(BPF_CGROUP_DEVICE) failed: operation not permitted: unknown.');
  assert.is(docker(['run', '--rm', '--gpus', 'all', IMAGE, 'true'], { inContainer: false }).rc, 0);
});

test('with no-cgroups = true the container\'s own nvidia-smi runs with the arguments; without --gpus it is not in the image (127)', () => {
  const file = path.join(root, 'etc/nvidia-container-runtime/config.toml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('#no-cgroups = false', 'no-cgroups = true'));
  const smi = path.join(tmp.dir, 'bin', 'nvidia-smi');
  writeFileSync(smi, '#!/bin/sh\necho "nvidia-smi $*"\n');
  chmodSync(smi, 0o755);
  const r = docker(['run', '--rm', '--gpus', 'all', IMAGE, 'nvidia-smi', '-L']);
  assert.is(r.rc, 0, r.stderr);
  assert.is(r.stdout, 'nvidia-smi -L\n');
  const plain = docker(['run', '--rm', IMAGE, 'nvidia-smi', '-L']);
  assert.is(plain.rc, 127);
  assert.match(plain.stderr, 'exec: "nvidia-smi": executable file not found in $PATH');
});

test('--runtime=nvidia needs the runtime in daemon.json (the entry nvidia-ctk writes)', () => {
  assert.match(docker(['run', '--rm', '--runtime=nvidia', IMAGE, 'true']).stderr, 'unknown or invalid runtime name: nvidia');
  mkdirSync(path.join(root, 'etc/docker'), { recursive: true });
  writeFileSync(path.join(root, 'etc/docker/daemon.json'), '{\n    "runtimes": {\n        "nvidia": {\n            "args": [],\n            "path": "nvidia-container-runtime"\n        }\n    }\n}\n');
  const r = docker(['run', '--rm', '--runtime=nvidia', IMAGE, 'nvidia-smi']);
  assert.is(r.rc, 0, r.stderr);
});

test('images: docker-ce ships the lab image; docker import adds one; a missing one is not pulled', () => {
  assert.is(apt.docker.image, IMAGE);
  assert.match(docker(['image', 'inspect', '--format', '{{.Id}}', IMAGE]).stdout, /^sha256:[0-9a-f]{64}\n$/);
  const missing = docker(['image', 'inspect', 'cuda:12']);
  assert.equal([missing.rc, missing.stdout, missing.stderr], [1, '[]\n', 'Error: No such image: cuda:12\n']);
  const tar = path.join(tmp.dir, 'image.tar');
  assert.is(sh('tar', ['-C', path.join(root, 'etc'), '-cf', tar, '.']).rc, 0);
  const imported = docker(['import', tar, 'cuda']);
  assert.is(imported.rc, 0, imported.stderr);
  assert.is(docker(['image', 'inspect', '--format', '{{.Id}}', 'cuda:latest']).stdout, imported.stdout);
  const run = docker(['run', '--rm', '--gpus', 'all', 'nvidia/cuda:12.8.1-base-ubuntu24.04', 'nvidia-smi']);
  assert.is(run.rc, 125);
  assert.match(run.stderr, "Unable to find image 'nvidia/cuda:12.8.1-base-ubuntu24.04' locally");
  const never = docker(['run', '--rm', '--pull=never', '--gpus', 'all', 'nvidia/cuda:12.8.1-base-ubuntu24.04', 'nvidia-smi']);
  assert.equal([never.rc, never.stderr.split('\n')[0]], [125, 'docker: Error response from daemon: No such image: nvidia/cuda:12.8.1-base-ubuntu24.04.']);
  assert.match(docker(['run', '--rm', '--pull', 'never', 'nvidia/cuda']).stderr, 'No such image: nvidia/cuda:latest.');
  assert.is(docker(['run', '--rm', '--pull=never', 'cuda:latest', 'true']).rc, 0, 'a local image runs with --pull=never');
  assert.match(docker(['run', '--pull=sometimes', IMAGE]).stderr, "invalid pull option: 'sometimes'");
});

test.run();
