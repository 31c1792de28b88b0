import { poolModuleContext } from '../../support/module-context.js';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ConnectionPool, HostVars } from '../../../interpreter/connection/pool.js';
import { downloadToCache } from '../../../modules/nvidia_run/download.js';
import { findModule } from '../../../modules/registry.js';
import type { ModuleContext } from '../../../modules/types.js';
import { LabLease, announceSkip, labNodeVars, labPool, labSkipReason } from '../../lab/fixture.js';
import { labNode, onNode, pct } from '../../../lab/lab.js';
import { runModule, type Outcome } from '../../support/module-context.js';
import { releaseDirLock, takeDirLock } from '../../support/dir-lock.js';
import { setupOnce } from '../../support/setup-once.js';

// nvidia_run and pct_push for real on the lab: the node (real sshd, phoenix's ssh connection) caches the stand-in .run
// from the lab's artifact server and installs it; a real LXC container gets the node's cached file by pct push and
// installs user space. Each: check, apply, re-apply = ok; one download; one installer log line per install.
const test = suite('nvidia_run + pct_push on the lab (real sshd, real LXC, stand-in .run)');
const lab = new LabLease();
const CT = '790';
const V = '580.159.04';
const OTHER = '580.76.05';
const CACHE = '/var/tmp/phoenix-nvrun-lab/cache';
const LOG = '/var/log/nvidia-installer.log';
let dispose = async (): Promise<void> => undefined;
let pool: ConnectionPool;
let url = '';
let driverBefore: string | undefined;

function hostVars(): Record<string, HostVars> {
  return { pve1: labNodeVars(lab, 'pve1'), [`ct${CT}`]: { ansible_connection: 'pct', proxmox_node: 'pve1', proxmox_vmid: CT } };
}

function context(host: string, check: boolean): Promise<ModuleContext> {
  return poolModuleContext(pool, host, { check, vars: hostVars()[host]! });
}

async function run(module: string, host: string, args: Record<string, unknown>, check = false): Promise<Outcome> {
  return runModule(findModule(module)!, args, await context(host, check));
}

/** GETs of `path` the artifact server served (its request log, over its control API). */
async function downloads(path: string): Promise<number> {
  const log = (await (await fetch(`${lab.info.artifacts!.url}/_lab/requests`)).json()) as Array<{ method: string; path: string }>;
  return log.filter((r) => r.method === 'GET' && r.path === path).length;
}

/** Installer runs of version V in the log (the stand-in logs one line per run; other tests install other versions). */
async function logLines(where: 'node' | 'ct'): Promise<number> {
  const count = `grep -c '^stand-in nvidia-installer ${V.replace(/\./g, '\\.')}: ' ${LOG} 2>/dev/null; true`;
  const r = where === 'node' ? await onNode('pve1', count) : await pct('pve1', 'exec', CT, '--', 'sh', '-c', count);
  return Number(r.stdout.trim() || 0);
}

/** The driver pve1 had before (a developer's `lab:up` + site run), put back afterwards with nvidia_run itself. */
let priorDriver: string | undefined;

async function installedOnNode(): Promise<string | undefined> {
  const r = await onNode('pve1', 'nvidia-installer --version 2>/dev/null; exit 0');
  return /nvidia-installer:\s+version (\S+)/.exec(r.stdout)?.[1];
}

async function restorePriorDriver(): Promise<void> {
  const priorUrl = priorDriver && lab.info.artifacts?.runfileUrls[priorDriver];
  if (!priorDriver || !priorUrl) return;
  const r = await run('nvidia_run', 'pve1', { mode: 'host', version: priorDriver, url: priorUrl, install_build_deps: false });
  if (r.status === 'failed') process.stdout.write(`\n  could not put driver ${priorDriver} back on pve1: ${r.msg}\n`);
}

/** The node as a fresh one: no driver loaded or installed, no cache (the node's changes live in its overlay). */
async function resetNode(): Promise<void> {
  rmSync(join(labNode('pve1').procDriver, 'nvidia'), { recursive: true, force: true });
  // The cache's parent goes too: the first plan then creates both levels (0755 root:root), as on a fresh node.
  await onNode('pve1', `rm -rf ${dirname(CACHE)} /etc/modprobe.d/blacklist-nouveau.conf; ` +
    'if test -f /var/lib/nvidia/log; then nvidia-installer --uninstall --silent >/dev/null 2>&1; fi; exit 0');
}

/**
 * `npm test` of other checkouts runs this file too, on the same lab node, CT and cache: one at a time (a directory
 * lock holding the owner's pid; a dead owner's lock is taken over).
 */
const LOCK = '/tmp/phoenix-nvrun-lab.lock';


setupOnce(test, async () => {
  await takeDirLock(LOCK);
  await lab.acquire();
  url = lab.info.artifacts?.runfileUrls[V] ?? '';
  try {
    driverBefore = readFileSync(join(labNode('pve1').procDriver, 'nvidia', 'version'), 'utf8');
  } catch {
    driverBefore = undefined;
  }
  priorDriver = await installedOnNode();
  await resetNode();
  await pct('pve1', 'stop', CT);
  await pct('pve1', 'destroy', CT);
  const created = await pct('pve1', 'create', CT, 'local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst', '--hostname', 'nvrun');
  assert.is(created.rc, 0, created.stderr);
  assert.is((await pct('pve1', 'start', CT)).rc, 0);
  const vars = hostVars();
  ({ pool, dispose } = labPool((h) => vars[h]));
});

test.after(async () => {
  await pct('pve1', 'stop', CT);
  await pct('pve1', 'destroy', CT);
  await resetNode();
  await restorePriorDriver();
  if (driverBefore !== undefined) {
    mkdirSync(join(labNode('pve1').procDriver, 'nvidia'), { recursive: true });
    writeFileSync(join(labNode('pve1').procDriver, 'nvidia', 'version'), driverBefore);
  }
  await dispose();
  await lab.release();
  releaseDirLock(LOCK);
});

test('the artifact server offers the stand-in .run', () => {
  assert.ok(url, `lab.json lists a .run for ${V}: ${JSON.stringify(lab.info.artifacts?.runfileUrls)}`);
});

test('container mode before the host play: fails and says to run the host play', async () => {
  const r = await run('nvidia_run', `ct${CT}`, { mode: 'container', version: V, cache_dir: CACHE });
  assert.is(r.status, 'failed');
  assert.match(r.msg ?? '', 'has no NVIDIA kernel module loaded; run nvidia_run with mode: host');
});

test('host mode: check predicts the exact command, apply downloads once and installs, re-apply is ok', async () => {
  const args = { mode: 'host', version: V, url, cache_dir: CACHE, install_build_deps: false };
  const path = new URL(url).pathname;
  const gets = await downloads(path);
  const lines = await logLines('node');
  const checked = await run('nvidia_run', 'pve1', args, true);
  assert.is(checked.status, 'changed');
  const command = `sh ${CACHE}/NVIDIA-Linux-x86_64-${V}.run --silent --dkms --no-questions --ui=none --disable-nouveau --no-x-check`;
  assert.equal(checked.changes.map((c) => c.summary), [
    `create directory ${dirname(CACHE)} (0755 root:root)`,
    `create directory ${CACHE} (0755 root:root)`,
    `download ${url} to ${CACHE}/NVIDIA-Linux-x86_64-${V}.run`,
    'write /etc/modprobe.d/blacklist-nouveau.conf and update the initramfs',
    `install driver ${V} (not installed): ${command}`,
  ]);
  assert.is(await downloads(path), gets, 'check mode downloads nothing');
  const applied = await run('nvidia_run', 'pve1', args);
  assert.is(applied.status, 'changed', applied.msg);
  assert.equal([applied.data.installed_version, applied.data.kernel_module_version, applied.data.reboot_required], [V, V, false]);
  const again = await run('nvidia_run', 'pve1', args);
  assert.is(again.status, 'ok', again.changes.map((c) => c.summary).join('; '));
  assert.is(again.reason, `driver ${V} already installed (kernel module ${V} loaded)`);
  assert.is(await downloads(path), gets + 1, 'one download');
  assert.is(await logLines('node'), lines + 1, 'one installer run');
  const cached = await onNode('pve1', `ls ${CACHE}`);
  assert.is(cached.stdout, `NVIDIA-Linux-x86_64-${V}.run\nNVIDIA-Linux-x86_64-${V}.run.verified\n`);
  assert.is((await onNode('pve1', 'cat /etc/modprobe.d/blacklist-nouveau.conf')).stdout, 'blacklist nouveau\noptions nouveau modeset=0\n');
});

test('container mode: a version other than the node module fails before touching the container', async () => {
  const r = await run('nvidia_run', `ct${CT}`, { mode: 'container', version: OTHER, cache_dir: CACHE });
  assert.is(r.status, 'failed');
  assert.match(r.msg ?? '', `node pve1 has kernel module ${V} loaded but version ${OTHER} is configured`);
});

test('container mode: pushes the cached file (no download), installs user space, cleans up, re-apply is ok', async () => {
  const args = { mode: 'container', version: V, cache_dir: CACHE };
  const path = new URL(url).pathname;
  const gets = await downloads(path);
  const checked = await run('nvidia_run', `ct${CT}`, args, true);
  assert.is(checked.status, 'changed', checked.msg);
  assert.ok(checked.changes.some((c) => c.summary.endsWith(`sh /tmp/NVIDIA-Linux-x86_64-${V}.run --silent --no-kernel-module ` +
    '--no-nvidia-modprobe --no-x-check --no-nouveau-check --no-questions --ui=none')));
  const applied = await run('nvidia_run', `ct${CT}`, args);
  assert.is(applied.status, 'changed', applied.msg);
  assert.equal([applied.data.installed_version, applied.data.kernel_module_version], [V, V]);
  const again = await run('nvidia_run', `ct${CT}`, args);
  assert.is(again.status, 'ok', again.changes.map((c) => c.summary).join('; '));
  assert.is(again.reason, `user space ${V} already installed (matches the kernel module of node pve1)`);
  assert.is(await downloads(path), gets, 'the container got the node cache, nothing was downloaded');
  assert.is(await logLines('ct'), 1, 'one installer run in the container');
  const leftover = await pct('pve1', 'exec', CT, '--', 'sh', '-c', 'ls /tmp');
  assert.not.match(leftover.stdout, 'NVIDIA-Linux', 'the pushed .run is removed');
  const smi = await pct('pve1', 'exec', CT, '--', 'nvidia-smi', '--query-gpu=driver_version', '--format=csv,noheader');
  assert.not.match(smi.stdout, 'mismatch');
});

test('pct_push: controller file into the container with mode and owner; re-apply is ok', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-lab-motd-'));
  try {
    writeFileSync(join(dir, 'motd'), 'GPU container\n');
    const args = { src: join(dir, 'motd'), dest: '/etc/motd.phoenix', mode: '0640', owner: 'root', group: 'adm' };
    const checked = await run('pct_push', `ct${CT}`, args, true);
    assert.is(checked.status, 'changed');
    const applied = await run('pct_push', `ct${CT}`, args);
    assert.is(applied.status, 'changed', applied.msg);
    const inside = await pct('pve1', 'exec', CT, '--', 'sh', '-c', "stat -c '%a %U %G' /etc/motd.phoenix; cat /etc/motd.phoenix");
    assert.is(inside.stdout, '640 root adm\nGPU container\n');
    const again = await run('pct_push', `ct${CT}`, args);
    assert.is(again.status, 'ok');
    assert.ok(again.reason);
    const leftovers = await onNode('pve1', "ls -a /tmp | grep '^\\.phoenix-push-' || true");
    assert.is(leftovers.stdout, '', 'no node temp file left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pct_push: a node file (the driver cache) is pushed directly and skipped when it is there', async () => {
  const args = { src: `${CACHE}/NVIDIA-Linux-x86_64-${V}.run`, dest: '/root/driver.run', src_on: 'node', mode: '0600' };
  assert.is((await run('pct_push', `ct${CT}`, args)).status, 'changed');
  const again = await run('pct_push', `ct${CT}`, args);
  assert.is(again.status, 'ok');
  assert.match(again.reason ?? '', 'already has sha256');
  assert.is((await onNode('pve1', `test -f ${CACHE}/NVIDIA-Linux-x86_64-${V}.run && echo kept`)).stdout, 'kept\n');
});

/** A fault on the lab's artifact server for this test's .run only (other tests download other versions). */
async function fault(kind: string, times: number): Promise<void> {
  const r = await fetch(`${lab.info.artifacts!.url}/_lab/fault`, {
    method: 'POST', body: JSON.stringify({ fault: { kind, times }, path: new URL(url).pathname }),
  });
  assert.is(r.status, 200);
}

test('the cache over SSH on the node: a cut download resumes; a corrupt one is refused and leaves the cache empty', async () => {
  // The cache helpers directly (no install: the node's driver belongs to whatever else runs on the lab).
  const node = await pool.get('pve1');
  const file = `NVIDIA-Linux-x86_64-${V}.run`;
  const cut = '/var/tmp/phoenix-nvrun-lab/cut';
  const bad = '/var/tmp/phoenix-nvrun-lab/corrupt';
  await fault('cut', 2); // the HEAD that sizes the progress report takes one
  const stamp = await downloadToCache(node, { dir: cut, file, url });
  assert.is((await onNode('pve1', `sha256sum ${cut}/${file}`)).stdout.slice(0, 64), stamp.sha256);
  assert.is((await onNode('pve1', `ls ${cut}`)).stdout, `${file}\n${file}.verified\n`);
  await fault('corrupt', 2);
  try {
    await downloadToCache(node, { dir: bad, file, url });
    assert.unreachable('a corrupt download must be refused');
  } catch (error) {
    assert.match((error as Error).message, /refusing the download .* --check\) failed with exit 2/);
  }
  assert.is((await onNode('pve1', `ls -A ${bad}`)).stdout, '', 'nothing left in the cache');
  await onNode('pve1', `rm -rf ${cut} ${bad}`);
});

test('pct_push: hostile destination names are created literally inside the container', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-lab-hostile-'));
  try {
    writeFileSync(join(dir, 'f'), 'x\n');
    for (const name of [`it's`, '$(touch canary1)', '`touch canary2`', 'a;touch canary3', 'sp ace']) {
      const r = await run('pct_push', `ct${CT}`, { src: join(dir, 'f'), dest: `/root/${name}` });
      assert.is(r.status, 'changed', `${name}: ${r.msg}`);
    }
    const listing = await pct('pve1', 'exec', CT, '--', 'ls', '-A', '/root');
    for (const n of [1, 2, 3]) assert.not.match(listing.stdout, new RegExp(`^canary${n}$`, 'm'), `canary${n} in the container`);
    assert.match(listing.stdout, /^\$\(touch canary1\)$/m);
    assert.match(listing.stdout, /^a;touch canary3$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const skip = labSkipReason();
if (skip) announceSkip('test/modules/nvidia_run/lab.test.ts', skip);
else test.run();
