import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAptRepos, type AptManifest } from '../../../lab/artifacts/index.js';
import { startArtifactServer, type ArtifactServer } from '../../../lab/artifacts/server.js';

/** The lab's signed CUDA-like and Docker-like repositories (lab/artifacts), built and served on loopback. */
export interface LabRepo {
  dir: string;
  server: ArtifactServer;
  manifest: AptManifest;
  /** URL of a file under the served tree. */
  url(path: string): string;
  close(): Promise<void>;
}

export async function startLabRepo(): Promise<LabRepo> {
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-apt-repo-'));
  const server = await startArtifactServer({ root: dir });
  const manifest = await buildAptRepos(dir, server.url);
  return {
    dir,
    server,
    manifest,
    url: (path) => `${server.url}/${path}`,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
