/**
 * The lab's download server: static files (the stand-in .run, the apt repositories) over plain
 * node:http, with Range/HEAD/If-Modified-Since like a real mirror, fault injection for tests
 * (cut, corrupt, slow, status:NNN; global or per path; optionally for the next N requests only)
 * and a request log tests read to count downloads.
 *
 * Tests in another process (the lab runs this as a background CLI) reach the same controls over
 * HTTP: POST /_lab/fault {"fault": ..., "path"?: ...}, DELETE /_lab/fault, GET|DELETE /_lab/requests.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** A fault by name: `cut` sends half the body then destroys the socket; `corrupt` flips bytes
 * in the body's second half; `slow` throttles; `status:500` (any code) answers that status. */
export type FaultKind = 'cut' | 'corrupt' | 'slow' | `status:${number}`;

/** A fault with options. `path` limits it to one URL path; `times` to the next N requests. */
export interface FaultSpec {
  kind: FaultKind;
  path?: string;
  times?: number;
  /** For `slow`: bytes per second (default 256 KiB/s). */
  bytesPerSecond?: number;
}

export type Fault = FaultKind | FaultSpec;

/** One served request (control requests under /_lab/ are not recorded). */
export interface RequestRecord {
  method: string;
  path: string;
  range?: string;
  status: number;
  /** Body bytes actually written. */
  bytes: number;
  fault?: FaultKind;
}

export interface ArtifactServerOptions {
  root: string;
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
}

export interface ArtifactServer {
  url: string;
  port: number;
  close(): Promise<void>;
  /** Sets a fault (global, or for `path`); `null` removes the path's fault, or all faults when no path is given. */
  setFault(fault: Fault | null, path?: string): void;
  /** A copy of the request log, oldest first. */
  requests(): RequestRecord[];
  clearRequests(): void;
}

/** Bytes flipped by `corrupt`, and where: inside the payload of a makeself archive, past its shell header. */
const CORRUPT_LENGTH = 16;
export function corruptOffset(size: number): number {
  return Math.max(Math.floor(size / 2), size - 4096);
}

interface State {
  root: string;
  global?: FaultSpec;
  byPath: Map<string, FaultSpec>;
  log: RequestRecord[];
}

/** Starts the server; resolves once it listens. */
export async function startArtifactServer(options: ArtifactServerOptions): Promise<ArtifactServer> {
  const state: State = { root: path.resolve(options.root), byPath: new Map(), log: [] };
  const server = createServer((req, res) => {
    handle(state, req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, String(err));
      else res.destroy();
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: () => closeServer(server),
    setFault: (fault, p) => setFault(state, fault, p),
    requests: () => state.log.map((r) => ({ ...r })),
    clearRequests: () => { state.log.length = 0; },
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function setFault(state: State, fault: Fault | null, p?: string): void {
  if (fault === null) {
    if (p === undefined) { state.global = undefined; state.byPath.clear(); } else state.byPath.delete(p);
    return;
  }
  const spec: FaultSpec = typeof fault === 'string' ? { kind: fault } : { ...fault };
  if (!/^(cut|corrupt|slow|status:\d{3})$/.test(spec.kind)) throw new Error(`unknown fault: ${spec.kind}`);
  const target = p ?? spec.path;
  if (target === undefined) state.global = spec;
  else state.byPath.set(target, spec);
}

/** The fault for this request, consuming one of its `times`. */
function takeFault(state: State, urlPath: string): FaultSpec | undefined {
  const own = state.byPath.get(urlPath);
  const spec = own ?? state.global;
  if (!spec) return undefined;
  if (spec.times !== undefined) {
    spec.times -= 1;
    if (spec.times <= 0) {
      if (own) state.byPath.delete(urlPath);
      else state.global = undefined;
    }
  }
  return spec;
}

async function handle(state: State, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  if (urlPath.startsWith('/_lab/')) return control(state, urlPath, req, res);
  const record: RequestRecord = { method: req.method ?? 'GET', path: urlPath, status: 0, bytes: 0 };
  if (req.headers.range) record.range = req.headers.range;
  state.log.push(record);
  if (record.method !== 'GET' && record.method !== 'HEAD') return send(res, 405, 'method not allowed', record);
  const fault = takeFault(state, urlPath);
  if (fault) record.fault = fault.kind;
  if (fault?.kind.startsWith('status:')) return send(res, Number(fault.kind.slice(7)), 'injected fault', record);
  const file = resolveFile(state.root, urlPath);
  const stat = file ? await fs.stat(file).catch(() => undefined) : undefined;
  if (!file || !stat?.isFile()) return send(res, 404, 'not found', record);
  await serveFile(req, res, file, stat, fault, record);
}

/**
 * NVIDIA's per-distribution paths of the one CUDA repository the lab builds: the containers' ubuntu2404 and the
 * nodes' debian12 (Proxmox VE 8) and debian13 (VE 9) all serve cuda/ (one flat repo, one key: the lab cannot sign
 * with NVIDIA's per-distribution keys), so site.yml's choice of path by the node's Debian is exercised for real.
 */
const CUDA_DISTRO_PATH = /^\/cuda\/repos\/(?:ubuntu2404|debian12|debian13)\/x86_64(?=\/)/;

/** Maps a URL path into root; refuses escapes and hidden segments (keys, stamps live in dot dirs). */
function resolveFile(root: string, urlPath: string): string | undefined {
  const parts = urlPath.replace(CUDA_DISTRO_PATH, '/cuda').split('/').filter((s) => s !== '');
  if (parts.some((s) => s.startsWith('.'))) return undefined;
  const file = path.resolve(root, ...parts);
  return file.startsWith(root + path.sep) ? file : undefined;
}

function send(res: ServerResponse, status: number, text: string, record?: RequestRecord): void {
  if (record) record.status = status;
  const body = Buffer.from(text + '\n');
  res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
  res.end(body);
}

type Span = { start: number; end: number } | 'unsatisfiable' | undefined;

/** A single `bytes=` range (first-last, first-, -suffix); anything else is ignored (full body). */
export function parseRange(header: string | undefined, size: number): Span {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

async function serveFile(
  req: IncomingMessage, res: ServerResponse, file: string, stat: Stats,
  fault: FaultSpec | undefined, record: RequestRecord,
): Promise<void> {
  const size = stat.size;
  const headers: Record<string, string | number> = {
    'Content-Type': contentType(file),
    'Accept-Ranges': 'bytes',
    'Last-Modified': stat.mtime.toUTCString(),
  };
  const span = parseRange(req.headers.range, size);
  if (span === 'unsatisfiable') {
    record.status = 416;
    res.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}`, 'Content-Length': 0 });
    return void res.end();
  }
  if (!span && notModified(req, stat)) {
    record.status = 304;
    res.writeHead(304, headers);
    return void res.end();
  }
  const { start, end } = span ?? { start: 0, end: size - 1 };
  if (span) headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  headers['Content-Length'] = end - start + 1;
  record.status = span ? 206 : 200;
  res.writeHead(record.status, headers);
  if (req.method === 'HEAD' || size === 0) return void res.end();
  await streamBody(res, file, { start, end, size }, fault, record);
}

function notModified(req: IncomingMessage, stat: Stats): boolean {
  const since = req.headers['if-modified-since'];
  if (!since) return false;
  const t = Date.parse(since);
  return !Number.isNaN(t) && Math.floor(stat.mtimeMs / 1000) * 1000 <= t;
}

function contentType(file: string): string {
  if (file.endsWith('.deb')) return 'application/vnd.debian.binary-package';
  if (file.endsWith('.json')) return 'application/json';
  if (/\.(txt|sha256sum|md5sum|list|asc|pub)$/.test(file)) return 'text/plain';
  return 'application/octet-stream';
}

interface Window { start: number; end: number; size: number }

/** Writes bytes start..end, applying the fault: cut stops at half and kills the socket. */
async function streamBody(
  res: ServerResponse, file: string, w: Window, fault: FaultSpec | undefined, record: RequestRecord,
): Promise<void> {
  const length = w.end - w.start + 1;
  const limit = fault?.kind === 'cut' ? Math.floor(length / 2) : length;
  const chunkSize = fault?.kind === 'slow' ? Math.max(1, Math.floor((fault.bytesPerSecond ?? 262144) / 10)) : 65536;
  const handle = await fs.open(file, 'r');
  try {
    let sent = 0;
    while (sent < limit && !res.destroyed) {
      const buf = Buffer.alloc(Math.min(chunkSize, limit - sent));
      const { bytesRead } = await handle.read(buf, 0, buf.length, w.start + sent);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      if (fault?.kind === 'corrupt') flipBytes(chunk, w.start + sent, w.size);
      await write(res, chunk);
      sent += bytesRead;
      record.bytes = sent;
      if (fault?.kind === 'slow') await sleep(100);
    }
  } finally {
    await handle.close();
  }
  if (limit < length) res.socket?.destroy();
  else res.end();
}

function flipBytes(chunk: Buffer, offset: number, size: number): void {
  const from = corruptOffset(size);
  for (let i = 0; i < chunk.length; i++) {
    const abs = offset + i;
    if (abs >= from && abs < from + CORRUPT_LENGTH) chunk[i] = chunk[i]! ^ 0xff;
  }
}

function write(res: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    res.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** /_lab/fault and /_lab/requests, for tests that run in another process than the server. */
async function control(state: State, urlPath: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const json = (status: number, value: unknown): void => {
    const body = Buffer.from(JSON.stringify(value));
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    res.end(body);
  };
  if (urlPath === '/_lab/requests') {
    if (req.method === 'DELETE') state.log.length = 0;
    return json(200, state.log);
  }
  if (urlPath !== '/_lab/fault') return json(404, { error: 'unknown control path' });
  try {
    if (req.method === 'DELETE') setFault(state, null);
    else {
      const body = JSON.parse((await readBody(req)) || '{}') as { fault?: Fault | null; path?: string };
      setFault(state, body.fault ?? null, body.path);
    }
    return json(200, { global: state.global ?? null, byPath: Object.fromEntries(state.byPath) });
  } catch (err) {
    return json(400, { error: String(err) });
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

/** CLI: node dist/lab/artifacts/server.js --root DIR [--port N] [--host H] [--port-file F]
 * (default port file: DIR/.port, which the server itself never serves). */
async function main(argv: string[]): Promise<void> {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const root = arg('--root');
  if (!root) {
    process.stderr.write('usage: server.js --root DIR [--port N] [--host H] [--port-file FILE]\n');
    process.exit(2);
  }
  const server = await startArtifactServer({ root, port: Number(arg('--port') ?? 0), host: arg('--host') });
  await fs.writeFile(arg('--port-file') ?? path.join(root, '.port'), `${server.port}\n`);
  process.stdout.write(`listening on ${server.url}\n`);
  const stop = (): void => { void server.close().then(() => process.exit(0)); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`server: ${String(err)}\n`);
    process.exit(1);
  });
}
