import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildRunfile } from '../../../lab/artifacts/index.js';
import { parseRange, startArtifactServer, type ArtifactServer } from '../../../lab/artifacts/server.js';
import { FIXTURE_VERSION as V, download, sh, shAsync, tempDir } from './test-support.js';

// The download server over real sockets: Range for resume, HEAD, faults, the request log.
const test = suite('lab artifacts: HTTP server');
const tmp = tempDir('server');
const www = path.join(tmp.dir, 'www');
let server: ArtifactServer;
let run = '';
let runPath = '';
let original: Buffer;

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

test.before(async () => {
  run = await buildRunfile(V, www);
  runPath = '/' + path.relative(www, run);
  original = readFileSync(run);
  mkdirSync(path.join(www, '.keys'), { recursive: true });
  writeFileSync(path.join(www, '.keys', 'secret'), 'private');
  server = await startArtifactServer({ root: www });
});
test.after(async () => {
  await server.close();
  tmp.remove();
});
test.before.each(() => {
  server.setFault(null);
  server.clearRequests();
});

test('parseRange: first-last, open end, suffix, unsatisfiable, ignored forms', () => {
  assert.equal(parseRange('bytes=0-9', 100), { start: 0, end: 9 });
  assert.equal(parseRange('bytes=90-', 100), { start: 90, end: 99 });
  assert.equal(parseRange('bytes=-10', 100), { start: 90, end: 99 });
  assert.equal(parseRange('bytes=50-500', 100), { start: 50, end: 99 });
  assert.is(parseRange('bytes=100-', 100), 'unsatisfiable');
  assert.is(parseRange('bytes=0-1,5-6', 100), undefined);
  assert.is(parseRange(undefined, 100), undefined);
});

test('GET serves the file with Content-Length; HEAD only the headers', async () => {
  const r = await download(server.url + runPath);
  assert.is(r.status, 200);
  assert.is(Number(r.headers['content-length']), original.length);
  assert.is(r.headers['accept-ranges'], 'bytes');
  assert.is(sha(r.body), sha(original));
  const h = await download(server.url + runPath, {}, 'HEAD');
  assert.is(h.status, 200);
  assert.is(h.body.length, 0);
  assert.is(Number(h.headers['content-length']), original.length);
  assert.equal(server.requests().map((q) => [q.method, q.status]), [['GET', 200], ['HEAD', 200]]);
});

test('Range answers 206 with Content-Range, 416 past the end', async () => {
  const r = await download(server.url + runPath, { Range: 'bytes=100-199' });
  assert.is(r.status, 206);
  assert.is(r.headers['content-range'], `bytes 100-199/${original.length}`);
  assert.ok(r.body.equals(original.subarray(100, 200)));
  const bad = await download(server.url + runPath, { Range: `bytes=${original.length}-` });
  assert.is(bad.status, 416);
  assert.is(bad.headers['content-range'], `bytes */${original.length}`);
  assert.is(server.requests()[0]!.range, 'bytes=100-199');
});

test('cut sends half then drops the connection; a Range request resumes to the exact file', async () => {
  server.setFault({ kind: 'cut', times: 1 }, runPath);
  const first = await download(server.url + runPath);
  assert.is(first.status, 200);
  assert.ok(first.error, 'the client sees the connection end early');
  assert.is(first.body.length, Math.floor(original.length / 2));
  const rest = await download(server.url + runPath, { Range: `bytes=${first.body.length}-` });
  assert.is(rest.status, 206);
  assert.is(sha(Buffer.concat([first.body, rest.body])), sha(original));
  assert.equal(server.requests().map((q) => q.fault ?? '-'), ['cut', '-']);
  assert.is(server.requests()[0]!.bytes, first.body.length);
});

test('real curl: exit 18 on a cut download, `curl -C -` resumes it to the exact file', async () => {
  server.setFault({ kind: 'cut', times: 1 }, runPath);
  const out = path.join(tmp.dir, 'curl.run');
  const first = await shAsync('curl', ['-fsS', '--max-time', '60', '-o', out, server.url + runPath]);
  assert.is(first.rc, 18, first.stderr);
  const again = await shAsync('curl', ['-fsS', '--max-time', '60', '-C', '-', '-o', out, server.url + runPath]);
  assert.is(again.rc, 0, again.stderr);
  assert.is(sha(readFileSync(out)), sha(original));
  assert.equal(server.requests().map((q) => q.status), [200, 206]);
});

test('corrupt flips bytes of the payload: same size, --check of the download fails', async () => {
  server.setFault('corrupt');
  const r = await download(server.url + runPath);
  assert.is(r.body.length, original.length);
  assert.is.not(sha(r.body), sha(original));
  const file = path.join(tmp.dir, 'downloaded.run');
  writeFileSync(file, r.body);
  const check = sh('sh', [file, '--check']);
  assert.is(check.rc, 2);
  assert.match(check.stderr, 'Error in MD5 checksums');
  const part = await download(server.url + runPath, { Range: 'bytes=0-99' });
  assert.ok(part.body.equals(original.subarray(0, 100)), 'the shell header is left intact');
});

test('status:500 per path, other paths unaffected; setFault(null) resets', async () => {
  server.setFault('status:500', runPath);
  assert.is((await download(server.url + runPath)).status, 500);
  assert.is((await download(server.url + runPath + '.sha256sum')).status, 200);
  server.setFault(null);
  assert.is((await download(server.url + runPath)).status, 200);
});

test('slow still delivers the whole file', async () => {
  server.setFault({ kind: 'slow', bytesPerSecond: 8 * 1024 * 1024 });
  const r = await download(server.url + runPath);
  assert.is(sha(r.body), sha(original));
  assert.is(server.requests()[0]!.fault, 'slow');
});

test("the CUDA repo answers under NVIDIA's per-distribution paths (ubuntu2404, debian12, debian13), no others", async () => {
  mkdirSync(path.join(www, 'cuda'), { recursive: true });
  writeFileSync(path.join(www, 'cuda', 'Packages'), 'Package: cuda-toolkit-12-8\n');
  for (const distro of ['ubuntu2404', 'debian12', 'debian13']) {
    const r = await download(`${server.url}/cuda/repos/${distro}/x86_64/Packages`);
    assert.equal([r.status, r.body.toString()], [200, 'Package: cuda-toolkit-12-8\n'], distro);
  }
  for (const other of ['/cuda/repos/debian11/x86_64/Packages', '/cuda/repos/debian13/sbsa/Packages', '/cuda/repos/debian13/x86_64/../../../.keys/secret']) {
    assert.is((await download(server.url + other)).status, 404, other);
  }
});

test('hidden files, escapes and missing files are 404', async () => {
  assert.is((await download(server.url + '/.keys/secret')).status, 404);
  assert.is((await download(server.url + '/../etc/passwd')).status, 404);
  assert.is((await download(server.url + '/%2e%2e/%2e%2e/etc/passwd')).status, 404);
  assert.is((await download(server.url + '/nope')).status, 404);
});

test('the CLI writes its port file and obeys faults set over HTTP', async () => {
  const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../lab/artifacts/server.js');
  const portFile = path.join(tmp.dir, 'cli.port');
  const child = spawn(process.execPath, [script, '--root', www, '--port', '0', '--port-file', portFile]);
  try {
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    assert.ok(existsSync(portFile));
    const url = `http://127.0.0.1:${readFileSync(portFile, 'utf8').trim()}`;
    const set = await fetch(`${url}/_lab/fault`, { method: 'POST', body: JSON.stringify({ fault: 'status:503', path: runPath }) });
    assert.is(set.status, 200);
    assert.is((await download(url + runPath)).status, 503);
    await fetch(`${url}/_lab/fault`, { method: 'DELETE' });
    assert.is((await download(url + runPath, { Range: 'bytes=0-0' })).status, 206);
    const log = (await (await fetch(`${url}/_lab/requests`)).json()) as { status: number }[];
    assert.equal(log.map((q) => q.status), [503, 206]);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
});

test.run();
