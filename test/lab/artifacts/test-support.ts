/** Shared by the artifacts tests: temp dirs, running the real scripts, raw HTTP downloads. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get, type IncomingHttpHeaders } from 'node:http';
import os from 'node:os';
import path, { join } from 'node:path';
import { buildAptRepos, type AptManifest } from '../../../lab/artifacts/index.js';
import { startArtifactServer, type ArtifactServer } from '../../../lab/artifacts/server.js';
import { sharedDir } from '../../support/shared.js';

export const FIXTURES = join(sharedDir(), 'fixtures', 'gpu-h100-ubuntu2404');
export const FIXTURE_VERSION = '580.159.04';

export interface Ran { rc: number; stdout: string; stderr: string }

/** A fresh temp dir, removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `phoenix-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs a command synchronously with extra env; never throws on a non-zero exit. */
export function sh(cmd: string, args: string[], env: Record<string, string> = {}, cwd?: string): Ran {
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, cwd, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { rc: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Like sh() but asynchronous: use it when the command talks to a server in this process
 * (a synchronous child would block the event loop the server needs). */
export function shAsync(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ rc: code ?? -1, stdout, stderr }));
  });
}

export interface Download {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Set when the connection ended before Content-Length bytes arrived. */
  error?: string;
}

/** GET with node:http, keeping whatever arrived when the server cuts the connection. */
export function download(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Download> {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers, method, agent: false }, (res) => {
      const parts: Buffer[] = [];
      const done = (error?: string): void => resolve({
        status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts), error,
      });
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => done());
      res.on('aborted', () => done('aborted'));
      res.on('error', (e) => done(e.message));
    });
    req.on('error', reject);
  });
}

/**
 * A throwaway apt tree `<base>/<name>` with the given source (and preferences) files, its own lists, cache and empty
 * dpkg status, for this machine's real apt-get and apt-cache (nothing is installed); returns a runner for them.
 */
export function makeAptTree(base: string, name: string, sources: Record<string, string>, prefs: Record<string, string> = {}) {
  const t = path.join(base, name);
  rmSync(t, { recursive: true, force: true });
  for (const d of ['etc/apt/sources.list.d', 'etc/apt/preferences.d', 'etc/apt/apt.conf.d', 'etc/apt/trusted.gpg.d',
    'var/lib/apt/lists/partial', 'var/cache/apt/archives/partial', 'var/lib/dpkg', 'var/log/apt']) {
    mkdirSync(path.join(t, d), { recursive: true });
  }
  writeFileSync(path.join(t, 'var/lib/dpkg/status'), '');
  for (const [f, text] of Object.entries(sources)) writeFileSync(path.join(t, 'etc/apt/sources.list.d', f), text);
  for (const [f, text] of Object.entries(prefs)) writeFileSync(path.join(t, 'etc/apt/preferences.d', f), text);
  const conf = path.join(t, 'apt.conf');
  writeFileSync(conf, [`Dir::Etc "${t}/etc/apt";`, `Dir::State "${t}/var/lib/apt";`,
    `Dir::State::status "${t}/var/lib/dpkg/status";`, `Dir::Cache "${t}/var/cache/apt";`, `Dir::Log "${t}/var/log/apt";`,
    'APT::Sandbox::User "root";', 'Debug::NoLocking "true";', 'APT::Architecture "amd64";',
    'APT::Architectures { "amd64"; };', ''].join('\n'));
  return {
    dir: t,
    run: (tool: string, ...args: string[]): Promise<Ran> => shAsync(tool, args, { APT_CONFIG: conf, LC_ALL: 'C' }),
  };
}

/** The lab's signed apt repositories built into `www` and served from it on loopback (close the server after). */
export async function serveAptRepos(www: string): Promise<{ server: ArtifactServer; apt: AptManifest }> {
  const server = await startArtifactServer({ root: www });
  return { server, apt: await buildAptRepos(www, server.url) };
}
