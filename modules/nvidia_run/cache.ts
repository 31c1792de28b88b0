import { quote, shellCommand } from '../../interpreter/connection/quote.js';
import type { Connection } from '../../interpreter/connection/types.js';
import { missingDirsScript, parseMissingDirs } from '../common/parents.js';
import { ModuleFailure } from '../types.js';

/** One cached `.run` on a node: `<dir>/<file>`, downloaded through `<file>.part`, vouched for by `<file>.verified`. */
export interface CacheEntry {
  dir: string;
  file: string;
  url?: string;
  /** Expected sha256 (hex), `auto` (NVIDIA's `<url>.sha256sum`), or undefined (only the archive's `--check`). */
  sha256?: string;
}

/** What `<file>.verified` records: the digest and the size/mtime the file had when it passed both checks. */
export interface Stamp {
  sha256: string;
  size: number;
  /** Seconds with nanoseconds, as `stat -c %.9Y` prints them: a rewrite within the same second still shows. */
  mtime: string;
}

/** The cache as one probe saw it. */
export interface CacheProbe {
  file?: { size: number; mtime: string };
  partSize?: number;
  stamp?: Stamp;
  /** The cache directory and those of its parents that do not exist yet, outermost first. */
  missingDirs: string[];
}

/** The state planning found: nothing to do, a stamp to record, a bad file to replace, or a file to download. */
export type CacheState =
  | { kind: 'fresh'; stamp: Stamp }
  | { kind: 'verified'; stamp: Stamp }
  | { kind: 'corrupt'; why: string }
  | { kind: 'absent'; partSize: number; dirs: string[] };

export const paths = (e: CacheEntry) => {
  const file = `${e.dir.replace(/\/+$/, '')}/${e.file}`;
  return { file, part: `${file}.part`, stamp: `${file}.verified` };
};

/** One read-only command: size and mtime of the file, size of a partial download, the stamp's content, missing dirs. */
export function probeCacheCommand(e: CacheEntry): string {
  const p = paths(e);
  return [
    `f=${quote(p.file)}; p=${quote(p.part)}; s=${quote(p.stamp)}`,
    `if test -f "$f"; then stat -c 'file %s %.9Y' -- "$f"; else echo 'file -'; fi`,
    `if test -f "$p"; then stat -c 'part %s' -- "$p"; else echo 'part -'; fi`,
    `if test -f "$s"; then printf 'stamp '; head -c 200 -- "$s" | head -n 1; echo; else echo 'stamp -'; fi`,
    missingDirsScript('cache', e.dir),
  ].join('\n');
}

export function parseCacheProbe(stdout: string, dir = ''): CacheProbe {
  const out: CacheProbe = { missingDirs: dir ? parseMissingDirs(stdout, 'cache', dir) : [] };
  const file = /^file (\d+) (\d+(?:\.\d+)?)$/m.exec(stdout);
  if (file) out.file = { size: Number(file[1]), mtime: file[2]! };
  const part = /^part (\d+)$/m.exec(stdout);
  if (part) out.partSize = Number(part[1]);
  const stamp = /^stamp ([0-9a-f]{64}) (\d+) (\d+(?:\.\d+)?)\s*$/m.exec(stdout);
  if (stamp) out.stamp = { sha256: stamp[1]!, size: Number(stamp[2]), mtime: stamp[3]! };
  return out;
}

export async function probeCache(conn: Connection, e: CacheEntry): Promise<CacheProbe> {
  const r = await conn.run(probeCacheCommand(e));
  if (r.rc !== 0) throw new ModuleFailure(`cannot read the cache ${e.dir} on ${conn.host}: ${r.stderr.trim() || `rc ${r.rc}`}`);
  return parseCacheProbe(r.stdout, e.dir);
}

/** The stamp still vouches for the file: same size and mtime, and the digest the configuration expects. */
export function stampIsFresh(probe: CacheProbe, expected: string | undefined): probe is CacheProbe & { stamp: Stamp } {
  const { file, stamp } = probe;
  if (!file || !stamp || stamp.size !== file.size || stamp.mtime !== file.mtime) return false;
  return !isDigest(expected) || stamp.sha256 === expected;
}

function isDigest(sha: string | undefined): sha is string {
  return !!sha && sha !== 'auto';
}

/** sha256 of a remote file. */
export async function sha256Of(conn: Connection, path: string, what = 'sha256sum'): Promise<string> {
  const r = await conn.run(shellCommand('sha256sum', '--', path));
  const digest = /^([0-9a-f]{64})\s/.exec(r.stdout)?.[1];
  if (r.rc !== 0 || !digest) throw new ModuleFailure(`${what} of ${path} on ${conn.host} failed: ${r.stderr.trim() || `rc ${r.rc}`}`);
  return digest;
}

/** The digest the file must have: the configured one, NVIDIA's published `<url>.sha256sum` for `auto`, or none. */
export async function expectedSha256(conn: Connection, e: CacheEntry): Promise<string | undefined> {
  if (e.sha256 !== 'auto') return e.sha256?.toLowerCase();
  // The schema asks for url with sha256: auto (nvidia_run.ts).
  const url = `${e.url}.sha256sum`;
  const r = await conn.run(`${shellCommand('curl', '-fsSL', '--retry', '3', url)} 2>/dev/null || ${shellCommand('wget', '-qO-', url)}`);
  const digest = /^([0-9a-fA-F]{64})\b/.exec(r.stdout.trim())?.[1];
  if (r.rc !== 0 || !digest) throw new ModuleFailure(`cannot read the published checksum ${url} on ${conn.host}: ${r.stderr.trim() || `rc ${r.rc}`}`);
  return digest.toLowerCase();
}

/** The verdict on a file: its digest when it passed, or why not. */
export type Verdict = { ok: true; sha256: string } | { ok: false; why: string };

/**
 * The full check: sha256 against `expected` FIRST (a tampered archive never runs, not even its `--check` stub), then
 * the archive's own `sh <file> --check` (makeself CRC + MD5, exit 2 on a mismatch: domain.md 2.1).
 */
export async function verifyFile(conn: Connection, path: string, expected: string | undefined): Promise<Verdict> {
  const sha256 = await sha256Of(conn, path);
  if (expected && sha256 !== expected) return { ok: false, why: `sha256 is ${sha256}, expected ${expected}` };
  const check = await conn.run(shellCommand('sh', path, '--check'));
  if (check.rc !== 0) {
    const detail = (check.stderr.trim() || check.stdout.trim()).split('\n').slice(-2).join(' ');
    return { ok: false, why: `the archive's integrity check (sh ${path} --check) failed with exit ${check.rc}: ${detail}` };
  }
  return { ok: true, sha256 };
}

/**
 * What planning knows about the cache. A file whose stamp is stale gets the full verification here (read-only):
 * planning then says exactly whether apply records a stamp or replaces a corrupt file.
 */
export async function planCache(conn: Connection, e: CacheEntry): Promise<CacheState> {
  const probe = await probeCache(conn, e);
  if (!probe.file) return { kind: 'absent', partSize: probe.partSize ?? 0, dirs: probe.missingDirs };
  if (stampIsFresh(probe, e.sha256)) return { kind: 'fresh', stamp: probe.stamp };
  const verdict = await verifyFile(conn, paths(e).file, await expectedSha256(conn, e));
  if (!verdict.ok) return { kind: 'corrupt', why: verdict.why };
  return { kind: 'verified', stamp: { sha256: verdict.sha256, ...probe.file } };
}

/** Records a verified file: digest, size and mtime as they are now. */
export async function writeStamp(conn: Connection, e: CacheEntry, sha256: string): Promise<Stamp> {
  const p = paths(e);
  const probe = parseCacheProbe((await conn.run(probeCacheCommand(e))).stdout);
  if (!probe.file) throw new ModuleFailure(`${p.file} vanished from the cache on ${conn.host}`);
  const stamp = { sha256, ...probe.file };
  await conn.put(`${stamp.sha256} ${stamp.size} ${stamp.mtime}\n`, p.stamp, { mode: 0o644 });
  return stamp;
}

/** Removes a file and its stamp (and partial download): a bad file never stays in the cache. */
export async function evict(conn: Connection, e: CacheEntry): Promise<void> {
  const p = paths(e);
  await conn.run(shellCommand('rm', '-f', '--', p.file, p.stamp, p.part));
}

/**
 * Refuses to run a cached file that changed since it was verified: its sha256 must equal the configured one or, without
 * one, the stamp's. A mismatch evicts it from the cache and fails the task.
 */
export async function assertIntact(conn: Connection, e: CacheEntry, stamp: Stamp): Promise<void> {
  const expected = isDigest(e.sha256) ? e.sha256.toLowerCase() : stamp.sha256;
  const actual = await sha256Of(conn, paths(e).file);
  if (actual === expected) return;
  await evict(conn, e);
  throw new ModuleFailure(`refusing to run ${paths(e).file} on ${conn.host}: its sha256 is ${actual}, expected ${expected} ` +
    '(changed since it was verified); removed it from the cache, run the host play again to download it',
  { sha256: actual, expected });
}
