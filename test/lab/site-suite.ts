import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabLease, announceSkip, labInventoryText, labSkipReason, setConfigDriverVersion } from './fixture.js';
import { labNode, onNode, pct } from '../../lab/lab.js';
import { VE_RELEASES, type Ve } from '../../lab/paths.js';
import { labSiteVars, writeLabConfig } from '../../lab/site-config.js';
import { setupOnce } from '../support/setup-once.js';
import { failures, runSite, withStatus, type HostEntry, type RunDoc } from './site-run.js';

/** The site.yml suite on a private lab node of Proxmox VE `ve` (test/lab/site.test.ts: VE 8, site-ve9.test.ts: VE 9). */
export function runSiteSuite(ve: Ve): void {
  /**
   * Issue 5 on the lab, on a node of its own: the example configuration through playbooks/site.yml. --check tells the
   * truth, the first run works, the second changes nothing, the installer runs once on the node and once in the GPU
   * template, clones are never reinstalled, old scripts' leftovers are repaired, and a driver upgrade in the config
   * reaches the node and every GPU container and nothing else.
   */
  const test = suite(`site.yml on the lab (example configuration, Proxmox VE ${ve} node)`);
  const lab = new LabLease();
  const skip = labSkipReason();
  let dir = '';
  let inventory = '';

  /** The compute check's part of each container's verify reason: `compute: ...` after the versions. */
  function computeReasons(doc: RunDoc): Record<string, string | undefined> {
    // The task runs once per clone level (serial batches); hosts it skipped (no GPU) have no reason.
    const tasks = doc.plays.flatMap((p) => p.tasks).filter((t) => t.task.name === 'Verify the GPU stack in the container');
    const verified = tasks.flatMap((t) => Object.entries(t.hosts)).filter(([, h]) => h.status !== 'skipped');
    return Object.fromEntries(verified.map(([host, h]) => [host, /compute: .*$/.exec(h.reason ?? '')?.[0]]));
  }

  const COMPUTE_OK = 'compute: 2 GPUs (2x NVIDIA H100 80GB HBM3 sm_90), vector add 4 MiB ok';
  /** 950 is assigned GPU 0 only: CUDA sees one. */
  const COMPUTE_ONE = 'compute: 1 GPU (NVIDIA H100 80GB HBM3 sm_90), vector add 4 MiB ok';

  /** Issue 11: the (task, host) pairs --check reports changed are exactly those the real run then changes. */
  function assertSameChanges(predicted: string[], changed: string[], what: string): void {
    const missed = changed.filter((c) => !predicted.includes(c));
    const extra = predicted.filter((c) => !changed.includes(c));
    assert.equal({ missed, extra }, { missed: [], extra: [] }, `${what}: --check predicted ${predicted.length}, the run changed ${changed.length}`);
    assert.ok(changed.length > 0, `${what}: the run changed something`);
  }

  async function installerLines(where: 'node' | number): Promise<string[]> {
    const log = '/var/log/nvidia-installer.log';
    const r = where === 'node' ? await onNode(lab.node, 'cat "$1" 2>/dev/null', log) : await pct(lab.node, 'exec', String(where), '--', 'cat', log);
    return r.stdout.split('\n').filter((l) => l.startsWith('stand-in nvidia-installer'));
  }

  /** What --check must not change on the node: the container list and every container config. */
  async function nodeState(): Promise<string> {
    return (await onNode(lab.node, 'pct list; for f in /etc/pve/lxc/*.conf; do [ -e "$f" ] && { echo "== $f"; cat "$f"; }; done; ls /usr/local/phoenix_hypervisor/cache 2>/dev/null; cat /etc/apt/sources.list.d/* 2>/dev/null')).stdout;
  }

  async function runfileDownloads(): Promise<number> {
    const log = await (await fetch(`${lab.info.artifacts!.url}/_lab/requests`)).json() as Array<{ method: string; path: string }>;
    return log.filter((r) => r.method === 'GET' && r.path.endsWith('.run')).length;
  }

  function writeInventory(): void {
    inventory = join(dir, 'inventory.yml');
    writeFileSync(inventory, labInventoryText(lab, [lab.node], labSiteVars(lab.info.artifacts!, join(dir, 'phoenix_hypervisor_config.json'))));
  }

  /** Rewrites the driver version (and URLs) in both config files, as a user upgrading would. */
  function setDriverVersion(version: string, lxcVersion = version): void {
    setConfigDriverVersion(dir, lab.info.artifacts!.runfileUrls, version, lxcVersion);
  }

  function site(...args: string[]): ReturnType<typeof runSite> {
    return runSite(inventory, ...args);
  }

  setupOnce(test, async () => {
    if (skip) return;
    await lab.acquire({ privateNode: { ve } });
    dir = mkdtempSync(join(tmpdir(), 'phoenix-site-'));
    const written = writeLabConfig(lab.info.artifacts!);
    for (const name of ['phoenix_hypervisor_config.json', 'phoenix_lxc_configs.json']) {
      writeFileSync(join(dir, name), readFileSync(join(written, '..', name)));
    }
    writeInventory();
  });

  test.after(async () => {
    if (skip) return;
    await lab.release();
    rmSync(dir, { recursive: true, force: true });
  });

  let predicted: string[] = [];

  test('fresh node, --check: exit 0, nothing on the node changes', async () => {
    if (skip) return announceSkip(`test/lab/site suite on VE ${ve}`, skip);
    const before = await nodeState();
    const check = await site('--check');
    assert.is(check.code, 0, check.stderr + JSON.stringify(check.doc && failures(check.doc)));
    assert.is(await nodeState(), before, 'config files and container list unchanged');
    predicted = withStatus(check.doc!, 'changed');
    assert.ok(predicted.length > 20, `check predicts the work: ${predicted.length} changes`);
    assert.equal(failures(check.doc!), [], 'nothing fails in --check on a fresh node');
  });

  test('first run: no failures, every change was predicted, one download, installer once on the node and in 901', async () => {
    if (skip) return;
    const downloads = await runfileDownloads();
    const run = await site();
    assert.is(run.code, 0, run.stderr + JSON.stringify(run.doc && failures(run.doc)));
    assertSameChanges(predicted, withStatus(run.doc!, 'changed'), 'fresh node');
    assert.is(await runfileDownloads() - downloads, 1, 'the .run was downloaded once');
    assert.is((await installerLines('node')).length, 1, 'installer ran once on the node');
    const template = await installerLines(901);
    assert.is(template.length, 1, 'installer ran once in 901');
    for (const clone of [903, 950]) {
      assert.equal(await installerLines(clone), template, `CT ${clone} carries 901's install and ran none of its own`);
    }
    const verified = withStatus(run.doc!, 'ok').filter((t) => t.startsWith('Verify the GPU stack'));
    assert.equal(verified.sort(), ['ct901', 'ct903', 'ct950'].map((h) => `Verify the GPU stack in the container @ ${h}`));
    // 901 compiles the compute check (stand-in nvcc); its clones start from its snapshot and reuse the binary.
    assert.equal(computeReasons(run.doc!), { ct901: `${COMPUTE_OK}, compiled by nvcc 12.8`,
      ct903: `${COMPUTE_OK}, cached build of nvcc 12.8`, ct950: `${COMPUTE_ONE}, cached build of nvcc 12.8` });
    await assertUnprivileged([900, 901, 902, 903, 950]);
    await assertDockerGpu(run.doc!);
    await assertNodeCudaRepo(run.doc!);
  });

  /** The containers' CUDA repository as the lab's copy of the configuration names it (.../repos/ubuntu2404/x86_64/). */
  function containerCudaRepo(): string {
    return String(JSON.parse(readFileSync(join(dir, 'phoenix_lxc_configs.json'), 'utf8')).nvidia_repo_url);
  }

  /**
   * Issue 14: the node's CUDA repository is NVIDIA's for its own Debian, from the facts gathered first: debian12 in a
   * one-line .list on a VE 8 node, debian13 in a deb822 .sources on a VE 9 node (apt 3's default), Signed-By naming
   * the keyring file either way; apt-get update on the node accepts it (sqv on Debian 13).
   */
  async function assertNodeCudaRepo(doc: RunDoc): Promise<void> {
    const release = VE_RELEASES[labNode(lab.node).ve];
    const facts = doc.plays[0]!.tasks.find((t) => t.task.name === 'Gathering Facts')?.hosts[lab.node];
    assert.is(facts?.status, 'ok', JSON.stringify(facts));
    assert.match(facts?.reason ?? '', `Debian ${release.debian}.`, 'facts name the node\'s Debian');
    const uri = containerCudaRepo().replace('/ubuntu2404/', `/debian${release.debian}/`);
    const files = (await onNode(lab.node, 'cd /etc/apt/sources.list.d && for f in cuda*; do echo "== $f"; grep -v "^#" "$f"; done')).stdout;
    const keyring = '/usr/share/keyrings/cuda-archive-keyring.gpg';
    const want = release.debian >= 13
      ? `== cuda.sources\nTypes: deb\nURIs: ${uri}\nSuites: /\nSigned-By: ${keyring}\n`
      : `== cuda.list\ndeb [signed-by=${keyring}] ${uri} /\n`;
    assert.is(files, want, 'the node has one CUDA source, for its own Debian');
    // Only that source (the node's Debian mirror is not what this test is about), its signature checked by apt.
    const update = await onNode(lab.node, 'f=$(ls /etc/apt/sources.list.d/cuda.*) && apt-get update -o Dir::Etc::sourcelist="$f" ' +
      '-o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0 2>&1');
    assert.is(update.rc, 0, update.stdout);
    assert.not.match(update.stdout, /^(W|E):/m, update.stdout);
  }

  /** The docker feature's tasks (playbooks/features/docker.yml), for the Docker GPU template and its clone. */
  const DOCKER_TASKS = ["Configure Docker's apt repository", 'Install Docker Engine', 'Configure the NVIDIA Container Toolkit apt repository',
    'Install the NVIDIA Container Toolkit', "Leave the device cgroup to LXC (no-cgroups = true in the toolkit's config)",
    'Give Docker the NVIDIA runtime (as nvidia-ctk runtime configure --runtime=docker writes it)'];

  /**
   * Issue 13: the Docker GPU template (903) gets the toolkit, its clone (950) finds all of it in 903's snapshot, and
   * `docker run --gpus all` lists each container's own GPUs; the GPU-less Docker template (902) gets no toolkit.
   */
  async function assertDockerGpu(doc: RunDoc): Promise<void> {
    const changed = withStatus(doc, 'changed');
    assert.equal(DOCKER_TASKS.filter((t) => !changed.includes(`${t} @ ct903`)), [], 'every docker task changed 903');
    assert.equal(changed.filter((c) => c.endsWith('@ ct950') && DOCKER_TASKS.some((t) => c.startsWith(t))), [], '950 reinstalls nothing');
    assert.equal(withStatus(doc, 'ok').filter((t) => t.startsWith("Verify Docker's GPU access")).sort(),
      ['ct903', 'ct950'].map((h) => `Verify Docker's GPU access in the container @ ${h}`));
    assert.ok(withStatus(doc, 'skipped').includes('Install the NVIDIA Container Toolkit @ ct902'), '902 has no GPU: no toolkit');
    const image = lab.info.artifacts!.apt.docker.image;
    for (const [vmid, gpus] of [[903, 2], [950, 1]]) {
      const r = await pct(lab.node, 'exec', String(vmid), '--', 'docker', 'run', '--rm', '--gpus', 'all', image, 'nvidia-smi', '-L');
      assert.is(r.stdout.split('\n').filter((l) => l.startsWith('GPU ')).length, gpus, `CT ${vmid}: ${r.stdout}${r.stderr}`);
    }
  }

  /** Every container of the example configuration is `"unprivileged": true`: each runs in PVE's id map. */
  async function assertUnprivileged(vmids: number[]): Promise<void> {
    for (const vmid of vmids) {
      const map = await pct(lab.node, 'exec', String(vmid), '--', 'cat', '/proc/self/uid_map');
      assert.match(map.stdout, /^\s*0\s+100000\s+65536\s*$/, `CT ${vmid} runs in a user namespace: ${map.stdout}${map.stderr}`);
      const nvidiaSmi = await pct(lab.node, 'exec', String(vmid), '--', 'sh', '-c', 'stat -c %u:%g /usr/bin/nvidia-smi 2>/dev/null || echo none');
      assert.ok(['0:0\n', 'none\n'].includes(nvidiaSmi.stdout), `CT ${vmid}: files the installer wrote belong to the CT's root`);
    }
  }

  test('second run: --check predicts no change, and the run changes nothing', async () => {
    if (skip) return;
    const check = await site('--check');
    assert.is(check.code, 0, check.stderr + JSON.stringify(check.doc && failures(check.doc)));
    assert.equal(withStatus(check.doc!, 'changed'), [], 're-run --check');
    const run = await site();
    assert.is(run.code, 0, run.stderr);
    for (const [host, stats] of Object.entries(run.doc!.stats)) assert.is(stats.changed, 0, `${host}: ${withStatus(run.doc!, 'changed')}`);
    for (const reasons of [computeReasons(check.doc!), computeReasons(run.doc!)]) {
      assert.equal(reasons, { ct901: `${COMPUTE_OK}, cached build of nvcc 12.8`, ct903: `${COMPUTE_OK}, cached build of nvcc 12.8`,
        ct950: `${COMPUTE_ONE}, cached build of nvcc 12.8` }, 'a re-run compiles nothing, in --check and for real');
    }
  });

  test('no-cgroups undone in 950: verify names the cause, the docker feature puts it back, docker run works again', async () => {
    if (skip) return;
    await pct(lab.node, 'exec', '950', '--', 'sed', '-i', 's/^no-cgroups = true$/#no-cgroups = false/', '/etc/nvidia-container-runtime/config.toml');
    const broken = await site('--limit', 'ct950', '--tags', 'docker', '--check');
    const verify = broken.doc!.plays.flatMap((p) => p.tasks).find((t) => t.task.name === "Verify Docker's GPU access in the container");
    assert.is(verify?.hosts.ct950?.status, 'skipped', 'in --check verify waits for the repair the run makes first');
    const run = await site('--limit', 'ct950', '--tags', 'docker');
    assert.is(run.code, 0, run.stderr + JSON.stringify(run.doc && failures(run.doc)));
    assert.equal(withStatus(run.doc!, 'changed'), ["Leave the device cgroup to LXC (no-cgroups = true in the toolkit's config) @ ct950"]);
    assert.ok(withStatus(run.doc!, 'ok').includes("Verify Docker's GPU access in the container @ ct950"));
  });

  test('--limit ct903 --tags nvidia touches only 903', async () => {
    if (skip) return;
    const run = await site('--limit', 'ct903', '--tags', 'nvidia');
    assert.is(run.code, 0, run.stderr);
    assert.equal(Object.keys(run.doc!.stats), ['ct903']);
    assert.ok(withStatus(run.doc!, 'ok').some((t) => t.startsWith('Install the NVIDIA user space')), 'the nvidia tasks ran');
  });

  test("a container left by the old scripts is repaired (duplicate CUDA sources, hardcoded wrong uvm major)", async () => {
    if (skip) return;
    const cuda = containerCudaRepo();
    await pct(lab.node, 'exec', '950', '--', 'sh', '-c',
      'echo "deb [signed-by=/usr/share/keyrings/cuda-archive-keyring.gpg] $1 /" > /etc/apt/sources.list.d/cuda-ubuntu2404-x86_64.list; echo "deb $1 /" > /etc/apt/sources.list.d/cuda.list',
      'sh', cuda);
    // The old scripts' raw lines with their hardcoded uvm major, in the main section (before the first [section]).
    const oldLines = ['lxc.cgroup2.devices.allow: c 195:* rwm', 'lxc.cgroup2.devices.allow: c 243:* rwm',
      'lxc.mount.entry: /dev/nvidia0 dev/nvidia0 none bind,optional,create=file'];
    await onNode(lab.node, 'f=$1; shift; { sed "/^\\[/,\\$d" "$f"; printf "%s\\n" "$@"; echo; sed -n "/^\\[/,\\$p" "$f"; } >"$f.tmp" && mv "$f.tmp" "$f"',
      '/etc/pve/lxc/950.conf', ...oldLines);
    const broken = await pct(lab.node, 'exec', '950', '--', 'apt-get', 'update');
    assert.ok(broken.rc !== 0 && /Conflicting values set for option Signed-By/.test(broken.stdout + broken.stderr), 'apt-get update fails first');
    const run = await site('--limit', 'ct950');
    assert.is(run.code, 0, run.stderr + JSON.stringify(run.doc && failures(run.doc)));
    const conf = (await onNode(lab.node, 'cat /etc/pve/lxc/950.conf')).stdout;
    // The lab node is PVE 8.4: auto chose devN, which replaces the old raw lines with devN entries.
    assert.not.match(conf, /^lxc\.(cgroup2\.devices|mount\.entry).*nvidia|c 243:\* rwm/m, conf);
    assert.match(conf, /^dev\d+: \/dev\/nvidia0,mode=0666$/m, conf);
    assert.match(conf, /^dev\d+: \/dev\/nvidia-uvm,mode=0666$/m, conf);
    assert.is((await pct(lab.node, 'exec', '950', '--', 'apt-get', 'update')).rc, 0, 'apt-get update works again');
  });

  test('a mismatch between the two config files stops the run before any connection', async () => {
    if (skip) return;
    setDriverVersion('580.76.05', '580.159.04');
    const run = await site();
    assert.is(run.code, 4);
    assert.match(run.stderr, /E_CONFIG_MISMATCH/);
    assert.match(run.stderr, /phoenix_lxc_configs\.json/);
    assert.match(run.stderr, /phoenix_hypervisor_config\.json/);
    assert.is(run.doc, undefined, 'nothing ran');
    setDriverVersion('580.76.05');
  });

  test('a new driver version rolls over the node: GPU containers stopped, driver, containers back with the new user space, nothing else', async () => {
    if (skip) return;
    setDriverVersion('580.159.04');
    const check = await site('--check');
    assert.is(check.code, 0, check.stderr + JSON.stringify(check.doc && failures(check.doc)));
    const run = await site();
    assert.is(run.code, 0, run.stderr + JSON.stringify(run.doc && failures(run.doc)));
    assertSameChanges(withStatus(check.doc!, 'changed'), withStatus(run.doc!, 'changed'), 'driver upgrade');
    const node = Object.keys(run.doc!.stats).find((h) => !h.startsWith('ct'))!;
    assert.equal(withStatus(run.doc!, 'changed').filter((c) => c.endsWith(`@ ${node}`)).map((c) => c.replace(/ @ .*/, '')), [
      'Stop the node\'s GPU containers for the driver upgrade',
      'Install the NVIDIA driver on the node (download once into the cache)',
      'Start the GPU containers stopped for the upgrade',
      'Upgrade the NVIDIA user space of the restarted containers',
    ], 'the roll, in order; no reboot: nothing outside the containers held the old module');
    // The containers play finds the user space the roll installed.
    assert.equal(withStatus(run.doc!, 'changed').filter((c) => c.startsWith('Install the NVIDIA user space')), []);
    const verified = run.doc!.plays.flatMap((p) => p.tasks).find((t) => t.task.name === 'Verify the restarted containers\' driver');
    assert.is(verified?.hosts[node]?.status, 'ok', JSON.stringify(verified?.hosts));
    assert.is((await installerLines('node')).length, 2, 'node upgraded');
    for (const ct of [901, 903, 950]) {
      const lines = await installerLines(ct);
      assert.match(lines[lines.length - 1], /580\.159\.04/, `CT ${ct} upgraded`);
    }
    for (const host of ['ct900', 'ct902']) assert.is(run.doc!.stats[host].changed, 0, `${host} untouched`);
    const again = await site();
    for (const [host, stats] of Object.entries(again.doc!.stats)) assert.is(stats.changed, 0, `${host} after upgrade: ${withStatus(again.doc!, 'changed')}`);
  });

  /** Something on the node outside its containers holds the NVIDIA module (as nvidia-persistenced does). */
  async function holdModule(): Promise<void> {
    // The lab's device nodes have no driver behind them (open fails): the holder keeps a plain file under /dev/nvidia*
    // open instead, which is what /proc/<pid>/fd shows. It lives in the node's mount namespace: the reboot kills it.
    const r = await onNode(lab.node, ': >/dev/nvidia-lab-holder; setsid -f sh -c "exec sleep 600 3</dev/nvidia-lab-holder" </dev/null >/dev/null 2>&1; sleep 0.3; '
      + 'for p in /proc/[0-9]*; do ls -l "$p/fd" 2>/dev/null | grep -q " -> /dev/nvidia-lab-holder" && echo "${p#/proc/}"; done');
    assert.ok(r.stdout.trim() !== '', `no holder of /dev/nvidia-lab-holder on the node: ${r.stderr}`);
  }

  async function releaseModule(): Promise<void> {
    await onNode(lab.node, 'for p in /proc/[0-9]*; do ls -l "$p/fd" 2>/dev/null | grep -q " -> /dev/nvidia-lab-holder" && kill "${p#/proc/}"; done; rm -f /dev/nvidia-lab-holder; exit 0');
  }

  test('a held module: the roll installs, reboots the node (bounded), brings the containers back upgraded; --check said so', async () => {
    if (skip) return;
    await holdModule();
    try {
    setDriverVersion('580.76.05');
    const check = await site('--check');
    assert.is(check.code, 0, check.stderr + JSON.stringify(check.doc && failures(check.doc)));
    const bootBefore = (await onNode(lab.node, 'cat /proc/sys/kernel/random/boot_id')).stdout;
    const run = await site();
    assert.is(run.code, 0, run.stderr + JSON.stringify(run.doc && failures(run.doc)));
    assertSameChanges(withStatus(check.doc!, 'changed'), withStatus(run.doc!, 'changed'), 'roll with reboot');
    const node = Object.keys(run.doc!.stats).find((h) => !h.startsWith('ct'))!;
    assert.ok(withStatus(run.doc!, 'changed').includes(`Reboot the node to load the new kernel module @ ${node}`), JSON.stringify(withStatus(run.doc!, 'changed')));
    assert.is.not((await onNode(lab.node, 'cat /proc/sys/kernel/random/boot_id')).stdout, bootBefore, 'the node rebooted');
    assert.match((await onNode(lab.node, 'cat /proc/driver/nvidia/version')).stdout, /580\.76\.05/, 'the new module is loaded after the reboot');
    for (const ct of [901, 903, 950]) {
      const lines = await installerLines(ct);
      assert.match(lines[lines.length - 1], /580\.76\.05/, `CT ${ct} upgraded`);
    }
    const again = await site();
    for (const [host, stats] of Object.entries(again.doc!.stats)) assert.is(stats.changed, 0, `${host} after the roll: ${withStatus(again.doc!, 'changed')}`);
    } finally {
      await releaseModule();
    }
  });

  test('gpu_passthrough_style raw: every GPU container swaps its devN entries for raw lines, as --check says; re-run changed=0', async () => {
    if (skip) return;
    const hvFile = join(dir, 'phoenix_hypervisor_config.json');
    const hv = JSON.parse(readFileSync(hvFile, 'utf8'));
    writeFileSync(hvFile, JSON.stringify({ ...hv, gpu_passthrough_style: 'raw' }, null, 2));
    try {
      const check = await site('--check');
      assert.is(check.code, 0, check.stderr + JSON.stringify(check.doc && failures(check.doc)));
      const run = await site();
      assert.is(run.code, 0, run.stderr + JSON.stringify(run.doc && failures(run.doc)));
      assertSameChanges(withStatus(check.doc!, 'changed'), withStatus(run.doc!, 'changed'), 'style raw');
      for (const vmid of [901, 903, 950]) {
        const conf = (await onNode(lab.node, 'sed "/^\\[/,\\$d" "$1"', `/etc/pve/lxc/${vmid}.conf`)).stdout;
        assert.not.match(conf, /^dev\d+: \/dev\/nvidia/m, `CT ${vmid}: no NVIDIA devN entry left:\n${conf}\n${JSON.stringify(withStatus(run.doc!, "changed"))}`);
        assert.match(conf, /^lxc\.mount\.entry: \/dev\/nvidia0 dev\/nvidia0 none bind,optional,create=file$/m, `CT ${vmid}`);
      }
      // Unprivileged with raw binds: the GPU works; the 0400 MIG config capability is unreadable by design, and said so.
      const verified = run.doc!.plays.flatMap((p) => p.tasks).filter((t) => t.task.name.startsWith('Verify the GPU stack'));
      const reasons = verified.flatMap((t) => Object.values(t.hosts).filter((h) => h.status === 'ok')
        .map((h) => (h as HostEntry & { reason?: string }).reason ?? ''));
      assert.ok(reasons.length === 3 && reasons.every((r) => /nvidia-cap1 not readable/.test(r)), reasons.join(' | '));
      await assertUnprivileged([901, 903, 950]);
      const again = await site();
      for (const [host, stats] of Object.entries(again.doc!.stats)) assert.is(stats.changed, 0, `${host}: ${withStatus(again.doc!, 'changed')}`);
    } finally {
      writeFileSync(hvFile, JSON.stringify(hv, null, 2));
    }
  });

  test.run();
}
