/**
 * One call for the lab node: builds the stand-in NVIDIA installers and the signed apt
 * repositories into one directory tree, laid out like the real download sites, ready to be
 * served by server.ts:
 *
 *   <outDir>/XFree86/Linux-x86_64/<version>/NVIDIA-Linux-x86_64-<version>.run(.sha256sum)
 *   <outDir>/XFree86/Linux-x86_64/latest.txt
 *   <outDir>/cuda/      flat CUDA-like apt repo      (BASE_URL/cuda/ /)
 *   <outDir>/docker/    Docker-like apt repo         (BASE_URL/docker bookworm stable)
 *   <outDir>/libnvidia-container/stable/deb/amd64/   NVIDIA Container Toolkit-like flat repo, key at
 *                       <outDir>/libnvidia-container/gpgkey
 *   <outDir>/manifest.json   keys, fingerprints, URLs (see build-apt-repos.sh)
 *
 * Rebuilding with the same inputs is a no-op (the scripts skip when outputs are newer).
 */
import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { compareVersions } from '../../modules/nvidia/versions.js';

const run = promisify(execFile);

export interface BuildArtifactsOptions {
  outDir: string;
  /** Driver versions to build .run files for, e.g. ['580.95.05', '580.159.04']. */
  versions: string[];
  /** URL the tree will be served at (written into cuda-keyring's .list), e.g. http://10.0.3.1:8080 */
  baseUrl: string;
}

export interface AptManifest {
  baseUrl: string;
  cuda: { url: string; fingerprint: string; keyArmored: string; keyBinary: string; keyringDeb: string; listLine: string };
  docker: { url: string; suite: string; component: string; fingerprint: string; keyArmored: string; keyBinary: string; image: string };
  /** The NVIDIA Container Toolkit stand-in: a flat repository (`url` `/`), its armored key at `keyUrl`. */
  containerToolkit: { url: string; keyUrl: string; fingerprint: string; keyArmored: string; keyBinary: string; versions: string[] };
}

export interface BuiltArtifacts {
  /** Serve this directory. */
  root: string;
  /** version -> absolute path of the .run */
  runfiles: Record<string, string>;
  /** version -> URL of the .run under baseUrl (its checksum is the same URL + ".sha256sum") */
  runfileUrls: Record<string, string>;
  /** Root of the apt repositories (cuda/, docker/); the same directory as `root`. */
  aptRoot: string;
  apt: AptManifest;
}

const VERSION = /^\d{3,}\.\d+(\.\d+)?$/;

/** Where the build scripts live: next to this file's source, also when running from dist/. */
export function artifactsSourceDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const dir of [here, path.resolve(here, '../../../lab/artifacts')]) {
    if (existsSync(path.join(dir, 'build-runfile.sh'))) return dir;
  }
  throw new Error(`build-runfile.sh not found near ${here}`);
}

/** Path of the .run for a version inside an artifacts tree. */
export function runfilePath(root: string, version: string): string {
  return path.join(root, 'XFree86', 'Linux-x86_64', version, `NVIDIA-Linux-x86_64-${version}.run`);
}

/** Builds (or reuses) one stand-in .run; returns its path. */
export async function buildRunfile(version: string, root: string): Promise<string> {
  if (!VERSION.test(version)) throw new Error(`not a driver version: ${version}`);
  const file = runfilePath(root, version);
  await run('bash', [path.join(artifactsSourceDir(), 'build-runfile.sh'), version, path.dirname(file)]);
  return file;
}

/** Builds (or reuses) the apt repositories; returns their manifest. */
export async function buildAptRepos(root: string, baseUrl: string): Promise<AptManifest> {
  await run('bash', [path.join(artifactsSourceDir(), 'build-apt-repos.sh'), root, baseUrl]);
  return JSON.parse(await fs.readFile(path.join(root, 'manifest.json'), 'utf8')) as AptManifest;
}

/** Builds everything the lab serves. */
export async function buildArtifacts(options: BuildArtifactsOptions): Promise<BuiltArtifacts> {
  const root = path.resolve(options.outDir);
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const runfiles: Record<string, string> = {};
  const runfileUrls: Record<string, string> = {};
  for (const version of options.versions) {
    runfiles[version] = await buildRunfile(version, root);
    runfileUrls[version] = `${baseUrl}/${path.relative(root, runfiles[version]).split(path.sep).join('/')}`;
  }
  await writeLatest(root, options.versions);
  const apt = await buildAptRepos(root, baseUrl);
  return { root, runfiles, runfileUrls, aptRoot: root, apt };
}

/** latest.txt like download.nvidia.com's: "<version> <version>/<file>". */
async function writeLatest(root: string, versions: string[]): Promise<void> {
  if (versions.length === 0) return;
  const newest = [...versions].sort(compareVersions).at(-1)!;
  const file = path.join(root, 'XFree86', 'Linux-x86_64', 'latest.txt');
  await fs.writeFile(file, `${newest} ${newest}/NVIDIA-Linux-x86_64-${newest}.run\n`);
}

