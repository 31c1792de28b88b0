import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LocalConnection } from '../../../interpreter/connection/local.js';
import { assertIntact, planCache, type CacheEntry } from '../../../modules/nvidia_run/cache.js';
import { downloadToCache } from '../../../modules/nvidia_run/download.js';
import { ModuleFailure } from '../../../modules/types.js';
import { buildRunfile } from '../../../lab/artifacts/index.js';
import { startArtifactServer, type ArtifactServer } from '../../../lab/artifacts/server.js';

// The download cache for real: a makeself .run built by the lab's build-runfile.sh, served by the lab's artifact
// server (Range, cut and corrupt faults), fetched by the node-side curl through a LocalConnection.
const test = suite('nvidia_run cache (real curl, real makeself --check)');
const VERSION = '580.76.05';
const FILE = `NVIDIA-Linux-x86_64-${VERSION}.run`;
const URL_PATH = `/XFree86/Linux-x86_64/${VERSION}/${FILE}`;
const conn = new LocalConnection('node');
let root = '';
let runfile = '';
let digest = '';
let server: ArtifactServer;
let cache = '';

const entry = (extra: Partial<CacheEntry> = {}): CacheEntry => ({ dir: cache, file: FILE, url: `${server.url}${URL_PATH}`, ...extra });
const gets = () => server.requests().filter((r) => r.method === 'GET' && r.path === URL_PATH);
const listing = () => (existsSync(cache) ? readdirSync(cache).sort() : []);

async function refused(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    assert.instance(error, ModuleFailure);
    return (error as Error).message;
  }
  throw new assert.Assertion({ message: 'expected a ModuleFailure', operator: 'throws', expects: 'failure', actual: 'success' });
}

test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'phoenix-nvrun-art-'));
  runfile = await buildRunfile(VERSION, root);
  digest = createHash('sha256').update(readFileSync(runfile)).digest('hex');
  server = await startArtifactServer({ root });
});

test.after(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

test.before.each(async () => {
  cache = join(await mkdtemp(join(tmpdir(), 'phoenix-nvrun-cache-')), 'cache');
  server.setFault(null);
  server.clearRequests();
});

test.after.each(async () => {
  await rm(join(cache, '..'), { recursive: true, force: true });
});

test('downloads once: .part, verified, renamed, stamped; a second plan is fresh without hashing', async () => {
  assert.is((await planCache(conn, entry())).kind, 'absent');
  const stamp = await downloadToCache(conn, entry({ sha256: digest }));
  assert.is(stamp.sha256, digest);
  assert.equal(listing(), [FILE, `${FILE}.verified`]);
  assert.is(createHash('sha256').update(readFileSync(join(cache, FILE))).digest('hex'), digest);
  assert.is(readFileSync(join(cache, `${FILE}.verified`), 'utf8'), `${digest} ${stamp.size} ${stamp.mtime}\n`);
  const again = await planCache(conn, entry({ sha256: digest }));
  assert.equal(again, { kind: 'fresh', stamp });
  assert.is(gets().length, 1, 'one GET of the .run');
});

test('a cache dir whose parent and grand-parent are missing: planned, created 0755 each (umask 077), second plan fresh', async () => {
  const base = join(cache, '..');
  cache = join(base, 'usr-local', 'phoenix', 'cache');
  const planned = await planCache(conn, entry());
  assert.equal(planned, { kind: 'absent', partSize: 0, dirs: [join(base, 'usr-local'), join(base, 'usr-local', 'phoenix'), cache] });
  assert.not.ok(existsSync(join(base, 'usr-local')), 'planning created nothing');
  const old = process.umask(0o077);
  try {
    await downloadToCache(conn, entry({ sha256: digest }));
  } finally {
    process.umask(old);
  }
  for (const d of ['usr-local', 'usr-local/phoenix', 'usr-local/phoenix/cache']) {
    assert.is((statSync(join(base, d)).mode & 0o7777).toString(8), '755', d);
  }
  assert.equal(listing(), [FILE, `${FILE}.verified`]);
  assert.is((await planCache(conn, entry({ sha256: digest }))).kind, 'fresh');
});

test('a cut transfer is resumed with a Range request, and only the whole file gets the final name', async () => {
  // Two: the HEAD that sizes the progress report takes one, the first GET the other.
  server.setFault({ kind: 'cut', times: 2 }, URL_PATH);
  const stamp = await downloadToCache(conn, entry());
  assert.is(stamp.sha256, digest);
  const [first, second] = gets();
  assert.is(first!.fault, 'cut');
  assert.is(second!.status, 206, 'the second request resumed');
  assert.match(second!.range ?? '', /^bytes=\d+-$/);
  assert.equal(listing(), [FILE, `${FILE}.verified`]);
});

test('a transfer cut every time fails and never leaves a file under the final name', async () => {
  server.setFault('cut', URL_PATH);
  const message = await refused(downloadToCache(conn, entry(), { attempts: 2 }));
  assert.match(message, '(2 attempts)');
  assert.not.ok(listing().includes(FILE));
  assert.not.ok(listing().includes(`${FILE}.verified`));
  server.setFault(null);
  const stamp = await downloadToCache(conn, entry());
  assert.is(stamp.sha256, digest, 'the next run resumes the part and completes');
  assert.match(gets().at(-1)!.range ?? '', /^bytes=[1-9]\d*-$/);
});

test('a 404 is not retried', async () => {
  const message = await refused(downloadToCache(conn, entry({ url: `${server.url}/XFree86/missing/${FILE}` })));
  assert.match(message, /\(1 attempt\): curl: \(22\)/);
  assert.not.ok(listing().includes(FILE));
});

test('a corrupt download fails the archive --check and is removed', async () => {
  server.setFault('corrupt', URL_PATH);
  const message = await refused(downloadToCache(conn, entry()));
  assert.match(message, /integrity check \(sh .* --check\) failed with exit 2/);
  assert.equal(listing(), []);
});

test('a sha256 mismatch is refused before the archive runs, and removed', async () => {
  const wrong = 'ab'.repeat(32);
  const message = await refused(downloadToCache(conn, entry({ sha256: wrong })));
  assert.match(message, `sha256 is ${digest}, expected ${wrong}`);
  assert.equal(listing(), []);
});

test('sha256: auto reads NVIDIA-style <url>.sha256sum', async () => {
  const stamp = await downloadToCache(conn, entry({ sha256: 'auto' }));
  assert.is(stamp.sha256, digest);
  assert.ok(server.requests().some((r) => r.path === `${URL_PATH}.sha256sum`));
});

test('a corrupt partial download is resumed, fails verification, and is fetched again from scratch', async () => {
  await downloadToCache(conn, entry());
  const good = readFileSync(join(cache, FILE));
  await rm(join(cache, FILE));
  const bad = Buffer.from(good.subarray(0, good.length - 5000));
  bad.fill(0x41, bad.length - 3000);
  writeFileSync(join(cache, `${FILE}.part`), bad);
  server.clearRequests();
  const stamp = await downloadToCache(conn, entry());
  assert.is(stamp.sha256, digest);
  assert.equal(gets().map((r) => r.status), [206, 200]);
});

test('a cached file changed behind the stamp is caught: mtime change → re-verified and corrupt; same size+mtime → refused before running', async () => {
  const stamp = await downloadToCache(conn, entry());
  const path = join(cache, FILE);
  const mtime = (await conn.run(`stat -c %.9Y ${path}`)).stdout.trim();
  const bytes = readFileSync(path);
  bytes[bytes.length - 100] ^= 0xff;
  writeFileSync(path, bytes);
  const state = await planCache(conn, entry());
  assert.is(state.kind, 'corrupt');
  await conn.run(`touch -d @${mtime} ${path}`);
  assert.is((await planCache(conn, entry())).kind, 'fresh', 'the cheap check trusts size+mtime');
  const message = await refused(assertIntact(conn, entry(), stamp));
  assert.match(message, 'refusing to run');
  assert.equal(listing(), [], 'evicted with its stamp');
});

test('a cached file without a stamp is fully verified by planning', async () => {
  await downloadToCache(conn, entry());
  await rm(join(cache, `${FILE}.verified`));
  const state = await planCache(conn, entry({ sha256: digest }));
  assert.is(state.kind, 'verified');
  assert.is(gets().length, 1);
});

test('a full disk fails at once with the free space, and leaves no partial download behind', async () => {
  const mountPoint = await mkdtemp(join(tmpdir(), 'phoenix-nvrun-full-'));
  const mounted = await conn.run(`mount -t tmpfs -o size=256k tmpfs ${mountPoint}`);
  if (mounted.rc !== 0) {
    process.stdout.write(`\n  skipped disk-full case: cannot mount a tmpfs (${mounted.stderr.trim()})\n`);
    await rm(mountPoint, { recursive: true, force: true });
    return;
  }
  try {
    const message = await refused(downloadToCache(conn, entry({ dir: join(mountPoint, 'cache') })));
    assert.match(message, /KiB free in .*free some space/);
    assert.equal(readdirSync(join(mountPoint, 'cache')), [], 'no .part, no file, no stamp');
    assert.is(gets().length, 1, 'no retries into a full disk');
  } finally {
    await conn.run(`umount ${mountPoint}`);
    await rm(mountPoint, { recursive: true, force: true });
  }
});

test('progress ends with the whole size; hostile cache dir and url query are taken literally', async () => {
  const seen: Array<[string, number | undefined, number | undefined]> = [];
  const hostile = join(cache, "it's $(touch canary1) `touch canary2`; touch canary3");
  const stamp = await downloadToCache(conn, entry({ dir: hostile, url: `${server.url}${URL_PATH}?a=$(touch${'$'}{IFS}canary1)&b='x';touch${'$'}{IFS}canary3` }),
    { progress: (m, d, t) => seen.push([m, d, t]) });
  assert.equal(seen.at(-1), [`downloaded ${FILE}`, stamp.size, stamp.size]);
  assert.equal(readdirSync(hostile).sort(), [FILE, `${FILE}.verified`]);
  for (const n of [1, 2, 3]) assert.not.ok(existsSync(`canary${n}`) || existsSync(join(cache, `canary${n}`)), `canary${n}`);
});

test.run();
