import { spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { portOpen } from './node.js';
import { LAB_DIR, REPO_ROOT } from './paths.js';

/** The artifact HTTP server (stand-in NVIDIA .run, signed apt repos) built in test/lab/artifacts by its owner. */
export interface ArtifactServer {
  url: string;
  port: number;
  pid: number;
}

const SERVER = join(REPO_ROOT, 'dist', 'test', 'lab', 'artifacts', 'server.js');
const PORT = 2280;

/**
 * Starts the artifact server when test/lab/artifacts provides one (dist/test/lab/artifacts/server.js), detached so it
 * outlives `lab up`; reuses a running one. Returns undefined when there is no server yet.
 */
export async function startArtifacts(previous: ArtifactServer | undefined, log: (line: string) => void): Promise<ArtifactServer | undefined> {
  if (previous && existsSync(`/proc/${previous.pid}`) && (await portOpen(previous.port))) return previous;
  if (!existsSync(SERVER)) return undefined;
  log(`artifact server: ${SERVER} on 127.0.0.1:${PORT}`);
  const out = openSync(join(LAB_DIR, 'artifacts-server.log'), 'a');
  const child = spawn(process.execPath, [SERVER, '--port', String(PORT)], {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, PHOENIX_LAB_HTTP_PORT: String(PORT) },
  });
  child.unref();
  for (let i = 0; i < 100; i++) {
    if (await portOpen(PORT)) return { url: `http://127.0.0.1:${PORT}`, port: PORT, pid: child.pid ?? 0 };
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`lab: artifact server did not listen on ${PORT}; see ${join(LAB_DIR, 'artifacts-server.log')}`);
}

/** Stops the artifact server the lab started. */
export async function stopArtifacts(server: ArtifactServer | undefined, log: (line: string) => void): Promise<void> {
  if (!server || !existsSync(`/proc/${server.pid}`)) return;
  log(`artifact server: stopping pid ${server.pid}`);
  try {
    process.kill(server.pid, 'SIGTERM');
  } catch {
    /* gone */
  }
}
