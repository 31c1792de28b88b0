import { spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { buildArtifacts, type AptManifest } from './artifacts/index.js';
import { portOpen } from './node.js';
import { CACHE_DIR, LAB_DIR, LAB_INSTANCE, LAB_PORT_OFFSET, REPO_ROOT } from './paths.js';

/** The artifact HTTP server (stand-in NVIDIA .run, signed apt repos; built by lab/artifacts), as the lab runs it. */
export interface ArtifactServer {
  url: string;
  port: number;
  pid: number;
  /** Served directory (kept in the cache dir: the build scripts skip what is up to date). */
  root: string;
  /** Driver version -> URL of its stand-in .run (checksum: same URL + ".sha256sum"). */
  runfileUrls: Record<string, string>;
  apt: AptManifest;
}

const SERVER = join(REPO_ROOT, 'dist', 'lab', 'artifacts', 'server.js');
/** Fixed per lab instance, because the URL is baked into the cuda-keyring-like package's .list. */
export const ARTIFACTS_PORT = 2280 + LAB_PORT_OFFSET;
/** The built tree: per instance, as the port is baked into it. */
const ARTIFACTS_DIR = join(CACHE_DIR, LAB_INSTANCE ? `artifacts-${LAB_INSTANCE}` : 'artifacts');
/** The example config's driver and the real H100 fixture's driver. */
export const DEFAULT_DRIVER_VERSIONS = ['580.76.05', '580.159.04'];

/**
 * Builds (incrementally) and starts the artifact server, detached so it outlives `lab up`; reuses a running one.
 * Containers reach it on 127.0.0.1 too (they share the node's network).
 */
export async function startArtifacts(previous: ArtifactServer | undefined, versions: string[],
  log: (line: string) => void): Promise<ArtifactServer | undefined> {
  if (!existsSync(SERVER)) return undefined;
  const url = `http://127.0.0.1:${ARTIFACTS_PORT}`;
  log(`artifacts: stand-in .run ${versions.join(', ')} and signed apt repos in ${ARTIFACTS_DIR}`);
  const built = await buildArtifacts({ outDir: ARTIFACTS_DIR, versions, baseUrl: url });
  const base = { url, port: ARTIFACTS_PORT, root: built.root, runfileUrls: built.runfileUrls, apt: built.apt };
  if (previous && existsSync(`/proc/${previous.pid}`) && (await portOpen(ARTIFACTS_PORT))) {
    if (await servesDistroPaths(url, built.apt)) return { ...base, pid: previous.pid };
    // A server started by an older checkout (it outlives `up`) without the per-distribution CUDA paths: replace it.
    log(`artifacts: restarting the server (pid ${previous.pid}): it predates the cuda/repos/<distro>/ paths`);
    await stopArtifacts(previous, log);
    for (let i = 0; i < 100 && (await portOpen(ARTIFACTS_PORT)); i++) await new Promise((res) => setTimeout(res, 50));
  }
  if (await portOpen(ARTIFACTS_PORT)) throw new Error(`lab: port ${ARTIFACTS_PORT} is taken by another program`);
  log(`artifacts: serving ${built.root} on ${url}`);
  const out = openSync(join(LAB_DIR, 'artifacts-server.log'), 'a');
  const child = spawn(process.execPath, [SERVER, '--root', built.root, '--port', String(ARTIFACTS_PORT), '--host',
    '127.0.0.1', '--port-file', join(LAB_DIR, 'artifacts.port')], { detached: true, stdio: ['ignore', out, out] });
  child.unref();
  for (let i = 0; i < 100; i++) {
    if (await portOpen(ARTIFACTS_PORT)) return { ...base, pid: child.pid ?? 0 };
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`lab: artifact server did not listen on ${ARTIFACTS_PORT}; see ${join(LAB_DIR, 'artifacts-server.log')}`);
}

/** Whether the running server answers the CUDA repo under NVIDIA's debian13 path (server.ts CUDA_DISTRO_PATH). */
async function servesDistroPaths(url: string, apt: AptManifest): Promise<boolean> {
  const key = apt.cuda.keyArmored.split('/').pop();
  try {
    return (await fetch(`${url}/cuda/repos/debian13/x86_64/${key}`, { method: 'HEAD' })).status === 200;
  } catch {
    return false;
  }
}

/** Stops the artifact server the lab started. */
export async function stopArtifacts(server: ArtifactServer | undefined, log: (line: string) => void): Promise<void> {
  if (!server || !existsSync(`/proc/${server.pid}`)) return;
  log(`artifacts: stopping the server (pid ${server.pid})`);
  try {
    process.kill(server.pid, 'SIGTERM');
  } catch {
    /* gone */
  }
}
