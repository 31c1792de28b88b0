import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { aptRepo } from '../../../modules/apt_repo.js';
import type { ModuleContext } from '../../../modules/types.js';
import type { Connection } from '../../../interpreter/connection/types.js';
import { announceSkip } from '../../lab/fixture.js';
import { moduleContext, runModule } from '../../support/module-context.js';
import { sharedAnswers, untilChange } from '../../../interpreter/executor/context.js';
import { noteApply, type RunServices } from '../../../interpreter/executor/options.js';
import { countingConnection, newCounts } from '../../../interpreter/connection/op-count.js';
import { parseSharedRepoProbe, probeRepo, repoFactsFromShared, sharedRepoProbeCommand } from '../../../modules/apt/repo-probe.js';
import { startLabRepo, type LabRepo } from '../apt/lab-repo.js';
import { PrivateApt, privateAptSkipReason } from '../apt/private-apt.js';

/**
 * Issue 4, with this machine's real apt-get in a private mount namespace and the lab's signed CUDA-like repository on
 * loopback: the old scripts' leftovers make `apt-get update` fail with "Conflicting values set for option Signed-By";
 * apt_repo removes them; `apt-get update` then works and a second run is ok.
 */
let repo: LabRepo;
let host: PrivateApt;
let sourcesList = '';

function ctx(options: { check?: boolean } = {}): ModuleContext {
  return { ...moduleContext({ diff: true, ...options }), conn: host };
}

function cudaArgs(): Record<string, unknown> {
  return { name: 'cuda', uri: repo.url('cuda/'), key_url: repo.url(repo.manifest.cuda.keyArmored), pin: { label: 'NVIDIA CUDA', priority: 600 } };
}

/** What the old scripts left: cuda-keyring's own .list, a hand-written cuda.list and a line in sources.list. */
async function oldScriptsLeftovers(): Promise<void> {
  await host.must(`dpkg -i ${join(repo.dir, repo.manifest.cuda.keyringDeb)} >/dev/null`);
  await host.must(`install -m 0644 ${join(repo.dir, repo.manifest.docker.keyBinary)} /usr/share/keyrings/docker-archive-keyring.gpg`);
  sourcesList = [
    '# Debian mirrors are not reachable from the private namespace',
    '#deb http://deb.debian.org/debian bookworm main',
    `deb [signed-by=/usr/share/keyrings/docker-archive-keyring.gpg] ${repo.server.url}/docker bookworm stable  # docker`,
    `deb ${repo.server.url}/cuda/ /`,
    '',
  ].join('\n');
  await host.writeFiles({
    '/etc/apt/sources.list': sourcesList,
    '/etc/apt/sources.list.d/cuda.list': `# added by setup-cuda.sh\ndeb [signed-by=/usr/share/keyrings/cuda-old-keyring.gpg] ${repo.server.url}/cuda /\n`,
  });
}

async function aptUpdate(): Promise<{ rc: number; stderr: string }> {
  return host.run('LC_ALL=C apt-get update -q');
}

const reason = privateAptSkipReason();
if (reason) announceSkip('test/modules/apt_repo/real-apt.test.ts', reason);
else {
  test.before(async () => {
    repo = await startLabRepo();
    host = await PrivateApt.start();
    await oldScriptsLeftovers();
  });
  test.after(async () => {
    await host?.close();
    await repo?.close();
  });

  test('with the old scripts’ leftovers, real apt-get update fails on Signed-By', async () => {
    const r = await aptUpdate();
    assert.is.not(r.rc, 0);
    assert.match(r.stderr, 'Conflicting values set for option Signed-By');
  });

  test('check mode lists exactly the files it would write or remove, and changes nothing', async () => {
    const before = await host.must('cat /etc/apt/sources.list.d/* /etc/apt/sources.list; ls /etc/apt/sources.list.d /etc/apt/preferences.d');
    const got = await runModule(aptRepo, cudaArgs(), ctx({ check: true }));
    assert.is(got.status, 'changed');
    assert.equal(
      got.changes.map((c) => c.summary.split(/:| without /)[0]),
      [
        'create /etc/apt/sources.list.d/cuda.sources',
        'rewrite /etc/apt/sources.list',
        'remove /etc/apt/sources.list.d/cuda-ubuntu2404-x86_64.list',
        'remove /etc/apt/sources.list.d/cuda.list',
        'create /etc/apt/preferences.d/cuda',
      ],
    );
    assert.match(got.changes[2].summary, 'cuda-keyring package');
    assert.is(await host.must('cat /etc/apt/sources.list.d/* /etc/apt/sources.list; ls /etc/apt/sources.list.d /etc/apt/preferences.d'), before);
  });

  test('apt_repo removes every other definition; apt-get update then succeeds; a second run is ok', async () => {
    const got = await runModule(aptRepo, cudaArgs(), ctx());
    assert.is(got.status, 'changed', got.msg);
    assert.is(got.data.cache_updated, true);
    // The keyring the cuda-keyring package installed has the bytes the armored key dearmors to: no keyring change.
    assert.not.ok(got.changes.some((c) => c.summary.includes('keyring /usr')));
    assert.equal((await host.must('ls /etc/apt/sources.list.d')).split('\n').filter(Boolean), ['cuda.sources']);
    const kept = sourcesList.replace(`deb ${repo.server.url}/cuda/ /\n`, '');
    assert.is(await host.must('cat /etc/apt/sources.list'), kept, 'sources.list keeps every other line byte for byte');
    const diff = got.diffs.find((d) => d.path === '/etc/apt/sources.list')!;
    assert.is(diff.before, sourcesList);
    assert.is(diff.after, kept);
    const update = await aptUpdate();
    assert.is(update.rc, 0, update.stderr);
    assert.not.match(update.stderr, 'Conflicting');
    const policy = await host.must('LC_ALL=C apt-cache policy cuda-toolkit-12-8');
    assert.match(policy, /Candidate: 12\.8\.1-1/);
    assert.match(policy, /^\s+600 http:\/\/127\.0\.0\.1:\d+\/cuda\/? +Packages$/m, policy);
    const again = await runModule(aptRepo, cudaArgs(), ctx());
    assert.is(again.status, 'ok');
    assert.match(again.reason!, 'is the only definition of');
  });

  test('the keyring written from an armored key equals gpg --dearmor’s output', async () => {
    const args = { ...cudaArgs(), name: 'cuda2', keyring: '/usr/share/keyrings/cuda2.gpg', update_cache: false };
    const got = await runModule(aptRepo, args, ctx());
    assert.is(got.status, 'changed');
    const ours = await host.must('sha256sum < /usr/share/keyrings/cuda2.gpg');
    const gpg = await host.must(`gpg --dearmor < ${join(repo.dir, repo.manifest.cuda.keyArmored)} | sha256sum`);
    assert.is(ours, gpg);
    assert.equal(readFileSync(join(repo.dir, repo.manifest.cuda.keyBinary)), await host.get('/usr/share/keyrings/cuda2.gpg'));
    // cuda2 is the same URI: it took over, so cuda.sources is gone and cuda2.sources is the one definition.
    assert.equal((await host.must('ls /etc/apt/sources.list.d')).split('\n').filter(Boolean), ['cuda2.sources']);
  });

  test('state absent removes the entry, the pin and the keyring nothing else uses; then ok', async () => {
    await runModule(aptRepo, cudaArgs(), ctx());
    const got = await runModule(aptRepo, { name: 'cuda2', keyring: '/usr/share/keyrings/cuda2.gpg', state: 'absent', update_cache: false }, ctx());
    assert.is(got.status, 'changed', got.msg);
    assert.equal(got.changes.map((c) => c.summary), ['remove /etc/apt/preferences.d/cuda2', 'remove keyring /usr/share/keyrings/cuda2.gpg']);
    const gone = await runModule(aptRepo, { name: 'cuda', uri: repo.url('cuda/'), state: 'absent' }, ctx());
    assert.equal(gone.changes.map((c) => c.summary), ['remove /etc/apt/sources.list.d/cuda.sources', 'remove /etc/apt/preferences.d/cuda', 'remove keyring /usr/share/keyrings/cuda-archive-keyring.gpg']);
    const again = await runModule(aptRepo, { name: 'cuda', uri: repo.url('cuda/'), state: 'absent' }, ctx());
    assert.is(again.status, 'ok');
    assert.ok(again.reason);
  });

  test('a key_url that fails reports the download tool’s message', async () => {
    const got = await runModule(aptRepo, { ...cudaArgs(), key_url: repo.url('cuda/missing.pub') }, ctx());
    assert.is(got.status, 'failed');
    assert.match(got.msg!, /downloading .*missing\.pub on the target failed .*404/);
  });

  test('a .asc keyring gets the armored key (from a binary key_file) and real apt verifies with it', async () => {
    const args = { name: 'cuda', uri: repo.url('cuda/'), key_file: join(repo.dir, repo.manifest.cuda.keyBinary), keyring: '/etc/apt/keyrings/cuda.asc' };
    const got = await runModule(aptRepo, args, ctx());
    assert.is(got.status, 'changed', got.msg);
    assert.match(await host.must('head -1 /etc/apt/keyrings/cuda.asc'), '-----BEGIN PGP PUBLIC KEY BLOCK-----');
    const update = await aptUpdate();
    assert.is(update.rc, 0, update.stderr);
    assert.is((await runModule(aptRepo, args, ctx())).status, 'ok');
    await runModule(aptRepo, { name: 'cuda', uri: repo.url('cuda/'), keyring: '/etc/apt/keyrings/cuda.asc', state: 'absent' }, ctx());
  });

  test('a wrong key: the files change, then apt-get update fails and the task fails with apt’s stderr', async () => {
    const args = { name: 'cuda', uri: repo.url('cuda/'), key_file: join(repo.dir, repo.manifest.docker.keyBinary), keyring: '/usr/share/keyrings/wrong.gpg' };
    const got = await runModule(aptRepo, args, ctx());
    assert.is(got.status, 'failed');
    assert.match(got.msg!, /^apt-get update failed \(exit 100\): /);
    assert.match(got.msg!, /NO_PUBKEY|not signed/);
    await runModule(aptRepo, { name: 'cuda', uri: repo.url('cuda/'), keyring: '/usr/share/keyrings/wrong.gpg', state: 'absent', update_cache: false }, ctx());
  });

  test('the hosts of one run share a key_url download: one GET for five plans; a failed one is not kept', async () => {
    const table = new Map<string, Promise<unknown>>();
    const shared = (): ModuleContext => ({ ...ctx({ check: true }), oncePerRun: sharedAnswers(table) });
    const keyGets = (): number => repo.server.requests().filter((r) => r.path.endsWith('.pub')).length;
    repo.server.clearRequests();
    const args = { ...cudaArgs(), name: 'shared', keyring: '/usr/share/keyrings/shared.gpg', update_cache: false };
    const plans = await Promise.all([1, 2, 3, 4, 5].map(() => runModule(aptRepo, args, shared())));
    assert.equal(plans.map((p) => p.status), ['changed', 'changed', 'changed', 'changed', 'changed']);
    assert.is(keyGets(), 1, 'downloaded by the first host, compared by all five');
    const missing = { ...args, key_url: repo.url('cuda/missing.pub') };
    for (let i = 1; i <= 2; i++) {
      const failed = await runModule(aptRepo, missing, shared());
      assert.match(failed.msg!, /downloading .*missing\.pub on the target failed .*404/);
      assert.is(keyGets(), 1 + 2 * i, 'the failed shared download is not kept: each host tries (shared, then its own probe)');
    }
  });

  test('the shared sources read gives each request what its own probe gives, or leaves it to that probe', async () => {
    await host.must('mkdir -p /etc/apt/keyrings && printf x > "/usr/share/keyrings/odd name.gpg" && printf k > /etc/apt/keyrings/local.gpg');
    const read = await host.run(sharedRepoProbeCommand());
    assert.is(read.rc, 0, read.stderr);
    const shared = parseSharedRepoProbe(read.stdout);
    const requests = [
      '/usr/share/keyrings/docker-archive-keyring.gpg', '/usr/share/keyrings/absent.gpg', '/etc/apt/keyrings/local.gpg',
      '/etc/apt/keyrings/absent.gpg',
    ];
    for (const keyring of requests) {
      assert.equal(repoFactsFromShared(shared, { keyring }), await probeRepo(host, { keyring }), keyring);
    }
    assert.ok(shared.keyrings.has('/usr/share/keyrings/docker-archive-keyring.gpg'));
    assert.is(repoFactsFromShared(shared, { keyring: '/usr/share/keyrings/odd name.gpg' }), undefined, 'a name sha256sum escapes');
    assert.is(repoFactsFromShared(shared, { keyring: '/opt/keys/k.gpg' }), undefined, 'outside the shared directories');
    assert.is(repoFactsFromShared(shared, { keyring: '/etc/apt/keyrings/local.gpg', pinPath: '/etc/apt/preferences.d/x' }), undefined);
    await host.must('rm -f "/usr/share/keyrings/odd name.gpg" /etc/apt/keyrings/local.gpg');
  });

  test('the apt_repo tasks of one host read the sources once, until something in the run is applied', async () => {
    const holder = { answers: new Map<string, Promise<unknown>>() };
    const counts = newCounts();
    const sharing = (): ModuleContext => ({ ...ctx({ check: true }), conn: countingConnection(host, counts), whileUnchanged: untilChange(holder) });
    const repos = [
      { name: 'one', uri: repo.url('cuda/'), key_file: join(repo.dir, repo.manifest.cuda.keyBinary), format: 'list' },
      { name: 'two', uri: `${repo.server.url}/docker`, suite: 'bookworm', components: ['stable'], key_file: join(repo.dir, repo.manifest.docker.keyBinary), format: 'deb822' },
    ];
    for (const args of [...repos, repos[0]!]) {
      const alone = await runModule(aptRepo, args, ctx({ check: true }));
      const got = await runModule(aptRepo, args, sharing());
      assert.equal({ status: got.status, reason: got.reason, changes: got.changes }, { status: alone.status, reason: alone.reason, changes: alone.changes }, args.name);
    }
    assert.is(counts.command, 1, 'one read for three plans');
    noteApply({ unchanged: holder } as unknown as RunServices);
    await runModule(aptRepo, repos[1]!, sharing());
    assert.is(counts.command, 2, 'read again after an apply');
    // A shared read that fails (here made to: exit 4 as when sha256sum cannot read a keyring) is not the task's
    // failure: the task asks on its own.
    noteApply({ unchanged: holder } as unknown as RunServices);
    const failing: Connection = {
      host: host.host,
      run: (c, o) => (c.includes('@@phoenix-keyrings') ? Promise.resolve({ rc: 4, stdout: '', stderr: 'sha256sum: read error' }) : host.run(c, o)),
      put: (c, p, o) => host.put(c, p, o), get: (p) => host.get(p), close: () => host.close(),
    };
    const got = await runModule(aptRepo, repos[1]!, { ...sharing(), conn: failing });
    const alone = await runModule(aptRepo, repos[1]!, ctx({ check: true }));
    assert.equal([got.status, got.reason], [alone.status, alone.reason], 'the task asked on its own');
  });

  test('key_url: without curl the target uses wget, then python3; with none of them the task says so', async () => {
    const args = { ...cudaArgs(), name: 'fetch', keyring: '/usr/share/keyrings/fetch.gpg', update_cache: false };
    await host.must('mv /usr/bin/curl /usr/bin/curl.off');
    try {
      repo.server.clearRequests();
      assert.is((await runModule(aptRepo, args, ctx({ check: true }))).status, 'changed');
      await host.must('mv /usr/bin/wget /usr/bin/wget.off');
      assert.is((await runModule(aptRepo, args, ctx({ check: true }))).status, 'changed');
      const keyGets = repo.server.requests().filter((r) => r.path.endsWith('.pub') && r.status === 200);
      assert.is(keyGets.length, 2, 'wget and python3 each downloaded the key');
      await host.must('mv /usr/bin/python3 /usr/bin/python3.off');
      const none = await runModule(aptRepo, args, ctx({ check: true }));
      assert.is(none.status, 'failed');
      assert.match(none.msg!, 'the target has none of curl, wget, python3');
    } finally {
      await host.must('for f in curl wget python3; do [ -e /usr/bin/$f.off ] && mv /usr/bin/$f.off /usr/bin/$f; done; true');
    }
  });

  test.run();
}
