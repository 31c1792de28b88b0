import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { apt } from '../../../modules/apt.js';
import { aptRepo } from '../../../modules/apt_repo.js';
import type { ModuleContext } from '../../../modules/types.js';
import type { Connection } from '../../../interpreter/connection/types.js';
import { untilChange } from '../../../interpreter/executor/context.js';
import { noteApply, type RunServices } from '../../../interpreter/executor/options.js';
import { announceSkip } from '../../lab/fixture.js';
import { moduleContext, runModule, type Outcome } from '../../support/module-context.js';
import { startLabRepo, type LabRepo } from './lab-repo.js';
import { PrivateApt, privateAptSkipReason } from './private-apt.js';

/**
 * The apt module with this machine's real apt-get and dpkg in a private mount namespace, installing from the lab's
 * signed CUDA-like repository on loopback, plus a local repository of one package that depends on a driver library.
 */
let repo: LabRepo;
let host: PrivateApt;
let extra = '';

function ctx(options: { check?: boolean; vars?: Record<string, unknown> } = {}): ModuleContext {
  return { ...moduleContext({ diff: true, ...options }), conn: host };
}

function must(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A flat `file:` repository with `gpu-burn-standin`, which depends on the driver library libnvidia-compute-580. */
function buildExtraRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-apt-extra-'));
  chmodSync(dir, 0o755); // apt's _apt sandbox user reads file: repositories
  const stage = join(dir, 'stage');
  mkdirSync(join(stage, 'DEBIAN'), { recursive: true });
  writeFileSync(
    join(stage, 'DEBIAN', 'control'),
    'Package: gpu-burn-standin\nVersion: 1.0-1\nArchitecture: all\nMaintainer: phoenix tests <tests@lab.invalid>\n' +
      'Depends: libnvidia-compute-580\nDescription: needs the NVIDIA compute library\n test stand-in\n',
  );
  must('dpkg-deb', ['--root-owner-group', '--build', stage, join(dir, 'gpu-burn-standin_1.0-1_all.deb')]);
  rmSync(stage, { recursive: true });
  writeFileSync(join(dir, 'Packages'), must('apt-ftparchive', ['packages', '.'], dir));
  return dir;
}

const reason = privateAptSkipReason();
if (reason) announceSkip('test/modules/apt/real-apt.test.ts', reason);
else {
  test.before(async () => {
    // uvu does not report a failing hook: say why before every test fails.
    await setUp().catch((error: unknown) => {
      console.error(error);
      throw error;
    });
  });
  async function setUp(): Promise<void> {
    repo = await startLabRepo();
    extra = buildExtraRepo();
    host = await PrivateApt.start();
    const key = repo.url(repo.manifest.cuda.keyArmored);
    const got = await runModule(aptRepo, { name: 'cuda', uri: repo.url('cuda/'), key_url: key, pin: { label: 'NVIDIA CUDA', priority: 600 } }, ctx());
    if (got.status !== 'changed') throw new Error(`apt_repo: ${got.msg}`);
    await host.writeFiles({ '/etc/apt/sources.list.d/extra.list': `deb [trusted=yes] file:${extra} ./\n` });
    await host.must('apt-get update -q >/dev/null');
  }
  test.after(async () => {
    await host?.close();
    await repo?.close();
    if (extra) rmSync(extra, { recursive: true, force: true });
  });

  test('check mode predicts the install with its dependencies and installs nothing', async () => {
    const got = await runModule(apt, { name: 'cuda-toolkit-12-8' }, ctx({ check: true }));
    assert.is(got.status, 'changed', got.msg);
    assert.equal(got.changes.map((c) => c.summary).sort(), [
      'install cuda-cudart-12-8 12.8.90-1 (dependency)',
      'install cuda-nvcc-12-8 12.8.93-1 (dependency)',
      'install cuda-toolkit-12-8 12.8.1-1',
    ]);
    assert.is((await host.run('dpkg-query -W cuda-toolkit-12-8')).rc, 1);
  });

  test('installs cuda-toolkit-12-8 for real; a re-run is ok with a reason', async () => {
    const got = await runModule(apt, { name: 'cuda-toolkit-12-8' }, ctx());
    assert.is(got.status, 'changed', got.msg);
    assert.equal(got.data.versions, { 'cuda-toolkit-12-8': '12.8.1-1' });
    assert.match(await host.must('/usr/local/cuda/bin/nvcc --version'), 'release 12.8, V12.8.93');
    const again = await runModule(apt, { name: 'cuda-toolkit-12-8' }, ctx());
    assert.is(again.status, 'ok');
    assert.is(again.reason, 'cuda-toolkit-12-8 12.8.1-1 installed');
    const latest = await runModule(apt, { name: ['cuda-toolkit-12-8', 'cuda-nvcc-12-8'], state: 'latest' }, ctx());
    assert.is(latest.status, 'ok');
    assert.is(latest.reason, 'cuda-toolkit-12-8 12.8.1-1 is the newest candidate, cuda-nvcc-12-8 12.8.93-1 is the newest candidate');
  });

  test('refuses cuda-drivers when the driver comes from the .run (task var)', async () => {
    const got = await runModule(apt, { name: 'cuda-drivers' }, ctx({ vars: { nvidia_driver_from_run: true } }));
    assert.is(got.status, 'failed');
    assert.match(got.msg!, /refusing to install the driver package cuda-drivers: .*nvidia_driver_from_run/);
  });

  test('refuses a package that would pull a driver package as a dependency, naming it', async () => {
    const got = await runModule(apt, { name: 'gpu-burn-standin' }, ctx({ vars: { nvidia_driver_from_run: true } }));
    assert.is(got.status, 'failed');
    assert.match(got.msg!, /installing gpu-burn-standin would pull the driver package libnvidia-compute-580 as a dependency/);
    assert.is((await host.run('dpkg-query -W gpu-burn-standin')).rc, 1);
  });

  test('detects the .run by /usr/bin/nvidia-installer; allow_driver_packages lets it through', async () => {
    await host.must('touch /usr/bin/nvidia-installer');
    const refused = await runModule(apt, { name: 'nvidia-driver-580' }, ctx());
    assert.is(refused.status, 'failed');
    assert.match(refused.msg!, '/usr/bin/nvidia-installer exists', refused.msg);
    const allowed = await runModule(apt, { name: 'nvidia-driver-580', allow_driver_packages: true }, ctx({ check: true }));
    assert.is(allowed.status, 'changed', allowed.msg);
    assert.ok(allowed.changes.some((c) => c.summary === 'install libnvidia-compute-580 580.95.05-0ubuntu1 (dependency)'));
    await host.must('rm /usr/bin/nvidia-installer');
  });

  test('an unknown package fails with apt’s own message', async () => {
    const got = await runModule(apt, { name: 'no-such-package-here' }, ctx());
    assert.is(got.status, 'failed');
    assert.match(got.msg!, 'E: Unable to locate package no-such-package-here');
  });

  test('state absent removes the package; a re-run is ok', async () => {
    const got = await runModule(apt, { name: 'cuda-toolkit-12-8', state: 'absent' }, ctx());
    assert.is(got.status, 'changed', got.msg);
    assert.equal(got.changes.map((c) => c.summary), ['remove cuda-toolkit-12-8 12.8.1-1']);
    const again = await runModule(apt, { name: 'cuda-toolkit-12-8', state: 'absent' }, ctx());
    assert.is(again.status, 'ok');
    assert.is(again.reason, 'cuda-toolkit-12-8 not installed');
  });

  test('update_cache with cache_valid_time: updates once, then ok while the cache is fresh', async () => {
    const first = await runModule(apt, { update_cache: true }, ctx());
    assert.is(first.status, 'changed', first.msg);
    const fresh = await runModule(apt, { update_cache: true, cache_valid_time: 3600 }, ctx());
    assert.is(fresh.status, 'ok');
    assert.match(fresh.reason!, /apt cache updated \d+ s ago \(cache_valid_time 3600\)/);
  });

  test('plans from the shared dpkg query say what their own queries say; after an apply the next plan asks again', async () => {
    const holder = { answers: new Map<string, Promise<unknown>>() };
    const commands: string[] = [];
    const recorded: Connection = {
      host: host.host, run: (c, o) => (commands.push(c), host.run(c, o)), put: (c, p, o) => host.put(c, p, o), get: (p) => host.get(p), close: () => host.close(),
    };
    const sharing = (): ModuleContext => ({ ...ctx({ check: true }), conn: recorded, whileUnchanged: untilChange(holder) });
    const outcome = (o: Outcome) => ({ status: o.status, reason: o.reason?.replace(/\d+ s ago/, 'N s ago'), changes: o.changes.map((c) => c.summary) });
    for (const args of [{ name: 'cuda-toolkit-12-8' }, { name: ['dpkg', 'apt'] }, { update_cache: true, cache_valid_time: 3600 }, { name: 'no-such-package-here' }]) {
      const alone = await runModule(apt, args, ctx({ check: true }));
      assert.equal(outcome(await runModule(apt, args, sharing())), outcome(alone), JSON.stringify(args));
    }
    const queries = () => commands.filter((c) => c.startsWith('dpkg-query -W')).length;
    assert.is(queries(), 1, 'one dpkg-query for four plans');
    await host.must('apt-get install -y -q cuda-toolkit-12-8 >/dev/null');
    noteApply({ unchanged: holder } as unknown as RunServices);
    const after = await runModule(apt, { name: 'cuda-toolkit-12-8' }, sharing());
    assert.is(after.reason, 'cuda-toolkit-12-8 12.8.1-1 installed', 'the install is seen once an apply was noted');
    assert.is(queries(), 2);
    await host.must('apt-get remove -y -q cuda-toolkit-12-8 >/dev/null');
  });

  test.run();
}
