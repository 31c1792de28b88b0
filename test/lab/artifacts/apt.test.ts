import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { buildAptRepos, type AptManifest } from '../../../lab/artifacts/index.js';
import type { ArtifactServer } from '../../../lab/artifacts/server.js';
import { makeAptTree, serveAptRepos, sh, tempDir } from './test-support.js';

// The signed apt repositories, used by the real apt-get of this machine with a throwaway
// configuration (its own sources, lists, cache and empty dpkg status; nothing is installed).
const test = suite('lab artifacts: signed apt repositories');
const tmp = tempDir('apt');
const www = path.join(tmp.dir, 'www');
let server: ArtifactServer;
let apt: AptManifest;

test.before(async () => {
  ({ server, apt } = await serveAptRepos(www));
});
test.after(async () => {
  await server.close();
  tmp.remove();
});

/** A throwaway apt tree under this file's temp dir (see makeAptTree). */
const aptTree = (name: string, sources: Record<string, string>, prefs: Record<string, string> = {}) => makeAptTree(tmp.dir, name, sources, prefs);

const www_ = (rel: string): string => path.join(www, rel);
const cudaLine = (key: string): string => `deb [signed-by=${key}] ${server.url}/cuda/ /\n`;
const dockerLine = (key: string): string => `deb [signed-by=${key}] ${server.url}/docker bookworm stable\n`;

/** Extracts a .deb (dpkg-deb -x) and returns the directory. */
function extract(deb: string, into: string): string {
  const r = sh('dpkg-deb', ['-x', deb, into]);
  assert.is(r.rc, 0, r.stderr);
  return into;
}

test('keys are exported armored and binary, with the fingerprint the manifest names', () => {
  assert.match(readFileSync(www_(apt.cuda.keyArmored), 'utf8'), /^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
  assert.match(apt.cuda.keyArmored, new RegExp(`^cuda/${apt.cuda.fingerprint.slice(-8).toLowerCase()}\\.pub$`));
  assert.match(readFileSync(www_('docker/gpg'), 'utf8'), /^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
  const home = path.join(tmp.dir, 'gnupg');
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const shown = sh('gpg', ['--homedir', home, '--batch', '--with-colons', '--show-keys', www_(apt.cuda.keyBinary)]).stdout;
  assert.match(shown, `fpr:::::::::${apt.cuda.fingerprint}:`);
  assert.is.not(apt.cuda.fingerprint, apt.docker.fingerprint);
});

test('apt-get update verifies both signed repositories', async () => {
  const t = aptTree('update', {
    'cuda.list': cudaLine(www_(apt.cuda.keyBinary)),
    'docker.list': dockerLine(www_(apt.docker.keyArmored.replace(/gpg$/, 'docker.asc'))),
  });
  const r = await t.run('apt-get', 'update');
  assert.is(r.rc, 0, r.stderr);
  assert.not.match(r.stderr, /^[WE]:/m);
  assert.match(r.stdout, `${server.url}/cuda  InRelease`);
  assert.match(r.stdout, `${server.url}/docker bookworm InRelease`);
});

test('apt-get update refuses the repository when signed-by names another key', async () => {
  const t = aptTree('wrongkey', { 'cuda.list': cudaLine(www_(apt.docker.keyBinary)) });
  const r = await t.run('apt-get', 'update');
  assert.is.not(r.rc, 0);
  assert.match(r.stderr, `NO_PUBKEY ${apt.cuda.fingerprint.slice(-16)}`);
  assert.match(r.stderr, `The repository '${server.url}/cuda  InRelease' is not signed.`);
});

test('cuda-toolkit-12-8 brings nvcc and no driver; cuda-12-8 would bring the driver packages', async () => {
  const t = aptTree('resolve', { 'cuda.list': cudaLine(www_(apt.cuda.keyBinary)) });
  assert.is((await t.run('apt-get', 'update')).rc, 0);
  const toolkit = (await t.run('apt-get', '-s', 'install', '--no-install-recommends', 'cuda-toolkit-12-8')).stdout;
  for (const p of ['cuda-toolkit-12-8', 'cuda-nvcc-12-8', 'cuda-cudart-12-8']) assert.match(toolkit, `Inst ${p} (`);
  assert.not.match(toolkit, /^Inst (cuda-drivers|nvidia-|libnvidia-)/m);
  const full = (await t.run('apt-get', '-s', 'install', 'cuda-12-8')).stdout;
  for (const p of ['cuda-drivers', 'nvidia-driver-580', 'libnvidia-compute-580']) assert.match(full, `Inst ${p} (`);
});

test('downloaded cuda-nvcc-12-8 holds /usr/local/cuda-12.8/bin/nvcc with the real 12.8 U1 output', async () => {
  const t = aptTree('download', { 'cuda.list': cudaLine(www_(apt.cuda.keyBinary)) });
  assert.is((await t.run('apt-get', 'update')).rc, 0);
  const r = await t.run('apt-get', 'install', '-y', '--download-only', 'cuda-toolkit-12-8');
  assert.is(r.rc, 0, r.stderr);
  const archives = path.join(t.dir, 'var/cache/apt/archives');
  const deb = readdirSync(archives).find((f) => f.startsWith('cuda-nvcc-12-8_'));
  assert.ok(deb, 'nvcc package downloaded');
  const root = extract(path.join(archives, deb!), path.join(t.dir, 'x'));
  const nvcc = sh(path.join(root, 'usr/local/cuda-12.8/bin/nvcc'), ['--version']);
  assert.is(nvcc.stdout, 'nvcc: NVIDIA (R) Cuda compiler driver\nCopyright (c) 2005-2025 NVIDIA Corporation\n' +
    'Built on Fri_Feb_21_20:23:50_PST_2025\nCuda compilation tools, release 12.8, V12.8.93\n' +
    'Build cuda_12.8.r12.8/compiler.35583870_0\n');
});

test('cuda-keyring ships the keyring, its own .list and the 600 pin, as conffiles', () => {
  const deb = www_(apt.cuda.keyringDeb);
  const root = extract(deb, path.join(tmp.dir, 'keyring'));
  assert.is(readFileSync(path.join(root, 'etc/apt/sources.list.d/cuda-ubuntu2404-x86_64.list'), 'utf8'),
    `deb [signed-by=/usr/share/keyrings/cuda-archive-keyring.gpg] ${server.url}/cuda/ /\n`);
  assert.match(readFileSync(path.join(root, 'etc/apt/preferences.d/cuda-repository-pin-600'), 'utf8'),
    'Package: *\nPin: release l=NVIDIA CUDA\nPin-Priority: 600\n');
  assert.ok(readFileSync(path.join(root, 'usr/share/keyrings/cuda-archive-keyring.gpg')).equals(readFileSync(www_(apt.cuda.keyBinary))));
  assert.match(sh('dpkg-deb', ['-f', deb, 'Version']).stdout, '1.1-1');
  assert.is(sh('dpkg-deb', ['-I', deb, 'conffiles']).stdout,
    '/etc/apt/preferences.d/cuda-repository-pin-600\n/etc/apt/sources.list.d/cuda-ubuntu2404-x86_64.list\n');
});

test('the keyring pin gives the CUDA repo priority 600 (Label: NVIDIA CUDA)', async () => {
  const root = path.join(tmp.dir, 'keyring');
  const pin = readFileSync(path.join(root, 'etc/apt/preferences.d/cuda-repository-pin-600'), 'utf8');
  const t = aptTree('pin', { 'cuda.list': cudaLine(www_(apt.cuda.keyBinary)) }, { 'cuda-repository-pin-600': pin });
  assert.is((await t.run('apt-get', 'update')).rc, 0);
  assert.match((await t.run('apt-cache', 'policy', 'cuda-toolkit-12-8')).stdout, `600 ${server.url}/cuda  Packages`);
});

test('the keyring\'s .list next to a second entry with another Signed-By: the real apt error', async () => {
  const list = readFileSync(path.join(tmp.dir, 'keyring/etc/apt/sources.list.d/cuda-ubuntu2404-x86_64.list'), 'utf8');
  const other = www_(apt.cuda.keyBinary);
  const t = aptTree('conflict', {
    'cuda-ubuntu2404-x86_64.list': list,
    'cuda.sources': `Types: deb\nURIs: ${server.url}/cuda/\nSuites: /\nSigned-By: ${other}\n`,
  });
  const r = await t.run('apt-get', 'update');
  assert.is(r.rc, 100);
  assert.match(r.stderr, `E: Conflicting values set for option Signed-By regarding source ${server.url}/cuda/ /: ` +
    `/usr/share/keyrings/cuda-archive-keyring.gpg != ${other}`);
  assert.match(r.stderr, 'E: The list of sources could not be read.');
});

test('docker-ce resolves with its dependencies; docker --version reads like the real one', async () => {
  const t = aptTree('docker', { 'docker.list': dockerLine(www_(apt.docker.keyBinary)) });
  assert.is((await t.run('apt-get', 'update')).rc, 0);
  const sim = (await t.run('apt-get', '-s', 'install', 'docker-ce')).stdout;
  for (const p of ['docker-ce', 'docker-ce-cli', 'containerd.io']) assert.match(sim, `Inst ${p} (`);
  const pool = www_('docker/pool/stable');
  const cli = readdirSync(pool).find((f) => f.startsWith('docker-ce-cli_'))!;
  const root = extract(path.join(pool, cli), path.join(tmp.dir, 'docker-cli'));
  assert.is(sh(path.join(root, 'usr/bin/docker'), ['--version']).stdout, 'Docker version 28.5.1, build e180ab8\n');
});

test('rebuilding with the same inputs is a no-op; another base URL rebuilds', async () => {
  const inRelease = www_('cuda/InRelease');
  const before = statSync(inRelease).mtimeMs;
  await buildAptRepos(www, server.url);
  assert.is(statSync(inRelease).mtimeMs, before);
  const other = path.join(tmp.dir, 'www2');
  const m = await buildAptRepos(other, 'http://10.0.3.1:8080');
  assert.is(m.cuda.listLine, 'deb [signed-by=/usr/share/keyrings/cuda-archive-keyring.gpg] http://10.0.3.1:8080/cuda/ /');
});

test.run();
