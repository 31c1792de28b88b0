import { poolModuleContext } from '../../support/module-context.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ConnectionPool, HostVars } from '../../../interpreter/connection/pool.js';
import { findModule } from '../../../modules/registry.js';
import { LabLease, announceSkip, labNodeVars, labPool, labSkipReason } from '../../lab/fixture.js';
import { pct } from '../../../lab/lab.js';
import { runModule, type Outcome } from '../../support/module-context.js';
import { releaseDirLock, takeDirLock } from '../../support/dir-lock.js';
import { setupOnce } from '../../support/setup-once.js';

// Issue 4 in a real lab container (real LXC, phoenix's pct connection through the node's sshd): the old scripts left
// the cuda-keyring package's .list, a hand-written cuda.list with another signed-by and a sources.list line; real
// apt-get update fails on Signed-By; apt_repo fixes it (check, apply, re-apply = ok); apt installs the toolkit from the
// lab's signed repository (check, apply, re-apply = ok) and refuses the driver packages.
const test = suite('apt_repo + apt in a lab container (real LXC, real apt, lab CUDA-like repo)');
const lab = new LabLease();
const CT = '742';
const HOST = `ct${CT}`;
let dispose = async (): Promise<void> => undefined;
let pool: ConnectionPool;
let base = '';
let sourcesList = '';

/**
 * One run of this file at a time on this machine: checkouts running npm test at once share the lab node and CT 742.
 * A directory lock holds the owner's pid; a dead owner's lock (or one left pid-less for a minute) is taken over.
 */
const LOCK = '/tmp/phoenix-apt-lab.lock';


function hostVars(): Record<string, HostVars> {
  return { pve1: labNodeVars(lab, 'pve1'), [HOST]: { ansible_connection: 'pct', proxmox_node: 'pve1', proxmox_vmid: CT } };
}

async function run(module: string, args: Record<string, unknown>, options: { check?: boolean; vars?: Record<string, unknown> } = {}): Promise<Outcome> {
  return runModule(findModule(module)!, args, await poolModuleContext(pool, HOST, { check: options.check, diff: true, vars: options.vars }));
}

async function inCt(script: string): Promise<{ rc: number; stdout: string; stderr: string }> {
  return pct('pve1', 'exec', CT, '--', 'sh', '-c', script);
}

function cudaArgs(): Record<string, unknown> {
  return { name: 'cuda', uri: `${base}/cuda/`, key_url: `${base}/${lab.info.artifacts!.apt.cuda.keyArmored}`, pin: { label: 'NVIDIA CUDA', priority: 600 } };
}

/** The old scripts' state: cuda-keyring installed (its own .list), a hand-written cuda.list, a sources.list line. */
async function oldScripts(): Promise<void> {
  const conn = await pool.get(HOST);
  const apt = lab.info.artifacts!.apt;
  await conn.put(readFileSync(join(lab.info.artifacts!.root, apt.cuda.keyringDeb)), '/tmp/cuda-keyring.deb');
  sourcesList = `# deb http://deb.debian.org/debian bookworm main\ndeb ${base}/cuda/ /\n`;
  await conn.put(sourcesList, '/etc/apt/sources.list');
  await conn.put(`deb [signed-by=/usr/share/keyrings/cuda-old.gpg] ${base}/cuda /\n`, '/etc/apt/sources.list.d/cuda.list');
  const r = await inCt('dpkg -i /tmp/cuda-keyring.deb >/dev/null && rm /tmp/cuda-keyring.deb');
  assert.is(r.rc, 0, r.stderr);
}

const skip = labSkipReason();
if (skip) announceSkip('test/modules/apt_repo/lab.test.ts', skip);
else {
  setupOnce(test, async () => {
    // uvu does not report a failing hook: say why before every test fails.
    await setUp().catch((error: unknown) => {
      console.error(error);
      throw error;
    });
  });

  async function setUp(): Promise<void> {
    await takeDirLock(LOCK);
    await lab.acquire();
    assert.ok(lab.info.artifacts, 'the lab serves the apt repositories');
    base = lab.info.artifacts!.url;
    await pct('pve1', 'stop', CT);
    await pct('pve1', 'destroy', CT);
    const created = await pct('pve1', 'create', CT, 'local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst', '--hostname', 'aptlab');
    assert.is(created.rc, 0, created.stderr);
    assert.is((await pct('pve1', 'start', CT)).rc, 0);
      const vars = hostVars();
    ({ pool, dispose } = labPool((h) => vars[h]));
    await oldScripts();
  }

  test.after(async () => {
    await dispose();
    await pct('pve1', 'stop', CT);
    await pct('pve1', 'destroy', CT);
    await lab.release();
    releaseDirLock(LOCK);
  });

  test('before apt_repo: real apt-get update fails with the Signed-By conflict', async () => {
    const r = await inCt('LC_ALL=C apt-get update -q');
    assert.is(r.rc, 100, r.stderr);
    assert.match(r.stderr, 'E: Conflicting values set for option Signed-By regarding source');
  });

  test('apt_repo: check predicts, apply fixes, apt-get update succeeds, re-apply is ok', async () => {
    const checked = await run('apt_repo', cudaArgs(), { check: true });
    assert.is(checked.status, 'changed', checked.msg);
    assert.is((await inCt('ls /etc/apt/sources.list.d')).stdout, 'cuda-ubuntu2404-x86_64.list\ncuda.list\n');
    const applied = await run('apt_repo', cudaArgs());
    assert.is(applied.status, 'changed', applied.msg);
    assert.equal(applied.changes.map((c) => c.summary), checked.changes.map((c) => c.summary));
    assert.is((await inCt('ls /etc/apt/sources.list.d')).stdout, 'cuda.sources\n');
    assert.is((await inCt('cat /etc/apt/sources.list')).stdout, '# deb http://deb.debian.org/debian bookworm main\n');
    const update = await inCt('LC_ALL=C apt-get update -q');
    assert.is(update.rc, 0, update.stderr);
    const again = await run('apt_repo', cudaArgs());
    assert.is(again.status, 'ok', again.changes.map((c) => c.summary).join('; '));
    assert.match(again.reason!, `/etc/apt/sources.list.d/cuda.sources is the only definition of ${base}/cuda/ /`);
  });

  test('apt: cuda-toolkit-12-8 check, install, re-apply = ok; nvcc runs', async () => {
    const checked = await run('apt', { name: 'cuda-toolkit-12-8' }, { check: true });
    assert.is(checked.status, 'changed', checked.msg);
    const applied = await run('apt', { name: 'cuda-toolkit-12-8' });
    assert.is(applied.status, 'changed', applied.msg);
    assert.match((await inCt('/usr/local/cuda/bin/nvcc --version')).stdout, 'Cuda compilation tools, release 12.8, V12.8.93');
    const again = await run('apt', { name: 'cuda-toolkit-12-8' });
    assert.is(again.status, 'ok');
    assert.is(again.reason, 'cuda-toolkit-12-8 12.8.1-1 installed');
  });

  test('apt refuses cuda-drivers in a .run container and installs nothing', async () => {
    const vars = { nvidia_driver_from_run: true };
    const named = await run('apt', { name: 'cuda-drivers' }, { vars });
    assert.is(named.status, 'failed');
    assert.match(named.msg!, 'refusing to install the driver package cuda-drivers');
    assert.is((await inCt('dpkg-query -W cuda-drivers nvidia-driver-580 2>&1')).rc, 1);
  });
}

test.run();
