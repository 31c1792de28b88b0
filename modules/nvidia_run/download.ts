import { shellCommand } from '../../interpreter/connection/quote.js';
import type { Connection } from '../../interpreter/connection/types.js';
import { ensureDirCommand } from '../common/parents.js';
import { ModuleFailure } from '../types.js';
import { evict, expectedSha256, paths, probeCache, verifyFile, writeStamp, type CacheEntry, type Stamp } from './cache.js';

export interface DownloadOptions {
  /** Download attempts; each one resumes the `.part` the previous one left. */
  attempts?: number;
  timeoutMs?: number;
  log?: (message: string) => void;
  progress?: (message: string, done?: number, total?: number) => void;
}

/**
 * One attempt on the node: curl (`-C -` resumes the `.part` with a Range request; a 416 for a complete part is not an
 * error to curl), else wget (`-c`). Retries inside curl cover refused connections and 5xx; a cut transfer (curl exit 18)
 * is retried by {@link fetchPart}, which resumes.
 */
export function downloadCommand(url: string, dir: string, part: string): string {
  const curl = shellCommand('curl', '-fL', '-sS', '--retry', '3', '--retry-delay', '1', '--connect-timeout', '30', '-C', '-', '-o', part, url);
  const wget = shellCommand('wget', '-q', '-c', '-O', part, url);
  // The cache's modes are chosen here: each missing directory 0755 root:root (created one by one: `mkdir -p` would
  // leave the parents to the umask), files 0644 (umask 022): a public driver, writable by root only.
  return `umask 022 && ${ensureDirCommand(dir)} && if command -v curl >/dev/null 2>&1; then ${curl}; ` +
    `elif command -v wget >/dev/null 2>&1; then ${wget}; else echo 'neither curl nor wget is installed' >&2; exit 127; fi`;
}

/** Size of the file behind `url` from a HEAD request (progress total); undefined when the server does not say. */
async function remoteSize(conn: Connection, url: string): Promise<number | undefined> {
  const r = await conn.run(`${shellCommand('curl', '-fsIL', '--connect-timeout', '10', url)} 2>/dev/null`);
  const lengths = [...r.stdout.matchAll(/^content-length:\s*(\d+)/gim)];
  return lengths.length ? Number(lengths[lengths.length - 1]![1]) : undefined;
}

/** Runs `work` while reporting the size of `part` every second. */
async function withProgress<T>(conn: Connection, part: string, report: (bytes: number) => void, work: Promise<T>): Promise<T> {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    conn.run(`${shellCommand('stat', '-c', '%s', '--', part)} 2>/dev/null`)
      .then((r) => { if (r.rc === 0) report(Number(r.stdout.trim())); }, () => undefined)
      .finally(() => { busy = false; });
  }, 1000);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

/** curl's "failed writing received data to disk" (disk full, read-only file system): retrying cannot help. */
const CURL_WRITE_ERROR = 23;

/** curl exits that another attempt cannot fix: a malformed URL, an HTTP error (404; 5xx after curl's own retries). */
const PERMANENT = new Set([3, 22]);

/** A download that cannot be written is removed at once: a full disk must not stay full of half a driver. */
async function diskFull(conn: Connection, e: CacheEntry, detail: string): Promise<never> {
  await conn.run(shellCommand('rm', '-f', '--', paths(e).part));
  const df = await conn.run(`${shellCommand('df', '-Pk', '--', e.dir)} 2>/dev/null | tail -n 1`);
  const free = /^\S+\s+\d+\s+\d+\s+(\d+)/.exec(df.stdout)?.[1];
  throw new ModuleFailure(`cannot write ${paths(e).part} on ${conn.host} (${detail})` +
    `${free ? `; ${free} KiB free in ${e.dir}` : ''}; removed the partial download, free some space (a driver .run needs ` +
    'about 400 MB) and run again', { disk_full: true });
}

/** Downloads into `.part`, retrying (and so resuming) up to `attempts` times. */
async function fetchPart(conn: Connection, e: CacheEntry, options: DownloadOptions): Promise<void> {
  const p = paths(e);
  const url = e.url!;
  const total = await remoteSize(conn, url);
  const attempts = options.attempts ?? 4;
  let detail = '';
  let tried = 0;
  while (tried < attempts) {
    tried += 1;
    const run = conn.run(downloadCommand(url, e.dir, p.part), { timeoutMs: options.timeoutMs });
    const report = (bytes: number): void => options.progress?.(`downloading ${e.file}`, bytes, total);
    const r = await withProgress(conn, p.part, report, run);
    if (r.rc === 0) return;
    detail = r.stderr.trim() || `exit ${r.rc}`;
    if (r.rc === CURL_WRITE_ERROR || /No space left on device/i.test(r.stderr)) await diskFull(conn, e, detail);
    if (PERMANENT.has(r.rc)) break;
    if (tried < attempts) options.log?.(`download of ${url} attempt ${tried}/${attempts} failed (${detail}); resuming`);
  }
  throw new ModuleFailure(`cannot download ${url} on ${conn.host} (${tried} attempt${tried > 1 ? 's' : ''}): ${detail}` +
    ` (a partial download stays as ${p.part}; the next run resumes it)`);
}

/**
 * Downloads the `.run` into the cache: `.part`, verify (sha256, then `--check`), rename, stamp. A resumed download
 * that fails verification is fetched once more from scratch (the old part may be what is bad). A file that still
 * fails is removed: nothing bad or partial ever carries the final name.
 */
export async function downloadToCache(conn: Connection, e: CacheEntry, options: DownloadOptions = {}): Promise<Stamp> {
  if (!e.url) throw new ModuleFailure(`${e.file} is not in the cache ${e.dir} on ${conn.host} and no url is given`);
  const p = paths(e);
  const expected = await expectedSha256(conn, e);
  const resumed = ((await probeCache(conn, e)).partSize ?? 0) > 0;
  await fetchPart(conn, e, options);
  let verdict = await verifyFile(conn, p.part, expected);
  if (!verdict.ok && resumed) {
    options.log?.(`resumed download of ${e.file} failed verification (${verdict.why}); downloading it again`);
    await conn.run(shellCommand('rm', '-f', '--', p.part));
    await fetchPart(conn, e, options);
    verdict = await verifyFile(conn, p.part, expected);
  }
  if (!verdict.ok) {
    await evict(conn, e);
    throw new ModuleFailure(`refusing the download of ${e.url} on ${conn.host}: ${verdict.why}; removed it from the cache`,
      { url: e.url });
  }
  const moved = await conn.run(shellCommand('mv', '-f', '--', p.part, p.file));
  if (moved.rc !== 0) throw new ModuleFailure(`cannot move ${p.part} to ${p.file} on ${conn.host}: ${moved.stderr.trim()}`);
  const stamp = await writeStamp(conn, e, verdict.sha256);
  options.progress?.(`downloaded ${e.file}`, stamp.size, stamp.size);
  return stamp;
}
