import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAptRepos, type AptManifest } from '../../lab/artifacts/index.js';
import { startArtifactServer, type ArtifactServer } from '../../lab/artifacts/server.js';
import { REPO_ROOT, ROOTFS_DIR } from '../../lab/paths.js';
import { ensureRootfs } from '../../lab/rootfs.js';
import { announceSkip, labSkipReason } from './fixture.js';
import { shAsync } from './artifacts/test-support.js';

/**
 * Issue 13's docker feature on a GPU container, check -> apply -> re-apply, without a lab node: phoenix runs with a
 * local connection inside a chroot of a copy of the lab's rootfs cache (a private mount namespace; nothing on this
 * machine or in the cache changes), against an artifact server of its own. The driver user space the toolkit
 * injects is a two-GPU nvidia-smi and libnvidia-ml.so.1, as the .run leaves them; PHOENIX_LAB_CONTAINER=1 makes
 * the stand-in toolkit act as in an LXC container. The full site.yml on a lab node is test/lab/site.test.ts.
 */
const test = suite('docker feature in a GPU container (chroot of the lab rootfs)');
const skip = labSkipReason();
let dir = '';
let server: ArtifactServer;
let apt: AptManifest;

interface RunDoc {
  plays: Array<{ tasks: Array<{ task: { name: string }; hosts: Record<string, { status: string; msg?: string; reason?: string }> }> }>;
  stats: Record<string, { changed: number; failed: number }>;
}

/** The feature as site.yml runs it for a container: the include, the handler flush, the docker_gpu verify, the handler. */
const PLAY = `- name: docker feature on a GPU container
  hosts: ct903
  gather_facts: false
  tasks:
    - name: Features
      include_tasks: ${REPO_ROOT}/playbooks/features/docker.yml
    - name: Restart Docker where its runtime changed
      meta: flush_handlers
    - name: Verify Docker's GPU access in the container
      verify:
        gpus: "{{ gpu_indexes }}"
        checks: [docker_gpu]
        docker_gpu_image: "{{ nvidia_container_toolkit.docker_gpu_image }}"
  handlers:
    - name: restart docker
      command:
        cmd: systemctl restart docker
        removes: /run/systemd/system
      when: docker_systemd.stat.exists | default(false)
`;

function inventory(version: string): string {
  const packages = ['nvidia-container-toolkit', 'nvidia-container-toolkit-base', 'libnvidia-container-tools', 'libnvidia-container1'];
  const toolkit = {
    repo_url: apt.containerToolkit.url, key_url: apt.containerToolkit.keyUrl, version,
    packages: packages.map((p) => `${p}=${version}`), docker_gpu_image: apt.docker.image,
  };
  const vars = {
    ansible_connection: 'local', lxc: { gpu_assignment: '0,1' }, gpu_indexes: [0, 1], phoenix_features: ['docker'],
    docker_repo_uri: apt.docker.url, docker_repo_suite: 'bookworm', docker_repo_key_url: `${apt.docker.url}/gpg`,
    nvidia_container_toolkit: toolkit,
  };
  return `all:\n  hosts:\n    ct903: ${JSON.stringify(vars)}\n`;
}

const root = (): string => join(dir, 'root');

/** A copy of the rootfs cache with node, the play and the driver user space the toolkit mounts into containers. */
function makeRoot(): void {
  const r = root();
  const cp = spawnSync('cp', ['-a', ROOTFS_DIR, r], { encoding: 'utf8' });
  assert.is(cp.status, 0, cp.stderr);
  copyFileSync(process.execPath, join(r, 'usr/local/bin/node'));
  chmodSync(join(r, 'usr/local/bin/node'), 0o755);
  mkdirSync(join(r, 'e2e'));
  writeFileSync(join(r, 'e2e/play.yml'), PLAY);
  writeFileSync(join(r, 'usr/bin/nvidia-smi'), '#!/bin/sh\n[ "$1" = -L ] || exit 0\n'
    + 'echo "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-cfa92afc-44db-c8c4-aa14-cb33961a51f6)"\n'
    + 'echo "GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-7d6c1f53-0e0b-4f11-9d55-2a4b3c6d8e01)"\n');
  chmodSync(join(r, 'usr/bin/nvidia-smi'), 0o755);
  const lib = join(r, 'usr/lib/x86_64-linux-gnu');
  writeFileSync(join(lib, 'libnvidia-ml.so.580.76.05'), 'stand-in\n');
  symlinkSync('libnvidia-ml.so.580.76.05', join(lib, 'libnvidia-ml.so.1'));
}

/**
 * In a private mount namespace: /proc, /dev and (read-only) this checkout and its node_modules inside the root,
 * then phoenix in the chroot. Paths go in as positional parameters, never into the script's text.
 */
const CHROOT = `set -e
root=$1 repo=$2 modules=$3; shift 3
mount --make-rprivate /
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
for d in "$repo" $modules; do mkdir -p "$root$d"; mount --bind "$d" "$root$d"; mount -o remount,bind,ro "$root$d"; done
exec chroot "$root" env PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin PHOENIX_LAB_CONTAINER=1 HOME=/root \
  sh -c 'cd /e2e && exec node "$0/bin/phoenix.js" run play.yml -i inventory.yml --json "$@"' "$repo" "$@"`;

async function phoenix(...args: string[]): Promise<{ code: number; doc?: RunDoc; stderr: string }> {
  const modules = realpathSync(join(REPO_ROOT, 'node_modules'));
  const extra = modules.startsWith(`${REPO_ROOT}/`) ? '' : modules;
  const r = await shAsync('unshare', ['-m', 'sh', '-c', CHROOT, 'sh', root(), REPO_ROOT, extra, ...args]);
  let doc: RunDoc | undefined;
  try {
    doc = JSON.parse(r.stdout) as RunDoc;
  } catch {
    doc = undefined;
  }
  return { code: r.rc, doc, stderr: r.stderr + (doc ? '' : r.stdout) };
}

/** `task` for each (task, host) with the status. */
function withStatus(doc: RunDoc, status: string): string[] {
  return doc.plays.flatMap((p) => p.tasks.flatMap((t) => Object.values(t.hosts).filter((h) => h.status === status).map(() => t.task.name)));
}

function hostResult(doc: RunDoc, task: string): { status: string; msg?: string; reason?: string } | undefined {
  return doc.plays.flatMap((p) => p.tasks).find((t) => t.task.name === task)?.hosts.ct903;
}

const VERIFY = "Verify Docker's GPU access in the container";
const TOOLKIT = ['Configure the NVIDIA Container Toolkit apt repository', 'Install the NVIDIA Container Toolkit',
  "Leave the device cgroup to LXC (no-cgroups = true in the toolkit's config)",
  'Give Docker the NVIDIA runtime (as nvidia-ctk runtime configure --runtime=docker writes it)'];

test.before(async () => {
  if (skip) return;
  await ensureRootfs();
  dir = mkdtempSync(join(tmpdir(), 'phoenix-docker-feature-'));
  server = await startArtifactServer({ root: join(dir, 'www') });
  apt = await buildAptRepos(join(dir, 'www'), server.url);
  makeRoot();
  writeFileSync(join(root(), 'e2e/inventory.yml'), inventory('1.17.8-1'));
});

test.after(async () => {
  if (skip) return;
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

let predicted: string[] = [];

test('--check on a container without Docker: every task of the feature is a change, verify waits for them', async () => {
  if (skip) return announceSkip('test/lab/docker-feature.test.ts', skip);
  const check = await phoenix('--check');
  assert.is(check.code, 0, check.stderr);
  predicted = withStatus(check.doc!, 'changed');
  assert.equal(predicted, ["Configure Docker's apt repository", 'Install Docker Engine', ...TOOLKIT]);
  assert.match(hostResult(check.doc!, VERIFY)?.msg ?? '', /^the real run changes ct903 in 6 earlier task\(s\) first; verify then/);
  assert.is(spawnSync('test', ['-e', join(root(), 'etc/docker')]).status, 1, 'check mode wrote nothing');
});

test('the run changes what --check said, and docker run --gpus all lists both GPUs', async () => {
  if (skip) return;
  const applied = await phoenix();
  assert.is(applied.code, 0, applied.stderr);
  assert.equal(withStatus(applied.doc!, 'changed'), predicted);
  assert.is(hostResult(applied.doc!, VERIFY)?.reason, `docker run --gpus all ${apt.docker.image}: nvidia-smi lists 2 GPUs`);
  assert.is(hostResult(applied.doc!, 'restart docker')?.status, 'skipped', 'no systemd in the root: no restart');
  const config = readFileSync(join(root(), 'etc/nvidia-container-runtime/config.toml'), 'utf8');
  assert.match(config, /\n\[nvidia-container-cli\]\n(?:[^[].*\n)*no-cgroups = true\n/);
  assert.not.match(config, /#no-cgroups/);
  assert.is(readFileSync(join(root(), 'etc/docker/daemon.json'), 'utf8'),
    '{\n    "runtimes": {\n        "nvidia": {\n            "args": [],\n            "path": "nvidia-container-runtime"\n        }\n    }\n}\n');
});

test('re-run: --check and the run change nothing', async () => {
  if (skip) return;
  for (const args of [['--check'], []]) {
    const again = await phoenix(...args);
    assert.is(again.code, 0, again.stderr);
    assert.equal(withStatus(again.doc!, 'changed'), [], args.join(' '));
    assert.is(hostResult(again.doc!, VERIFY)?.status, 'ok');
  }
});

test('a newer pinned version upgrades the four packages and keeps no-cgroups (a conffile phoenix edited)', async () => {
  if (skip) return;
  writeFileSync(join(root(), 'e2e/inventory.yml'), inventory('1.18.0-1'));
  const check = await phoenix('--check');
  const applied = await phoenix();
  assert.is(applied.code, 0, applied.stderr);
  assert.equal(withStatus(check.doc!, 'changed'), ['Install the NVIDIA Container Toolkit']);
  assert.equal(withStatus(applied.doc!, 'changed'), ['Install the NVIDIA Container Toolkit']);
  const cli = spawnSync('chroot', [root(), '/usr/bin/nvidia-container-cli', '--version'], { encoding: 'utf8' });
  assert.match(cli.stdout, 'cli-version: 1.18.0');
  assert.match(readFileSync(join(root(), 'etc/nvidia-container-runtime/config.toml'), 'utf8'), /^no-cgroups = true$/m);
});

test('no-cgroups undone: verify names the cause and the fix; the feature puts it back', async () => {
  if (skip) return;
  const file = join(root(), 'etc/nvidia-container-runtime/config.toml');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^no-cgroups = true$/m, '#no-cgroups = false'));
  writeFileSync(join(root(), 'e2e/play.yml'), `- hosts: ct903\n  gather_facts: false\n  tasks:\n    - name: ${VERIFY}\n`
    + '      verify: { gpus: 2, checks: [docker_gpu], docker_gpu_image: "{{ nvidia_container_toolkit.docker_gpu_image }}" }\n');
  const failed = await phoenix();
  writeFileSync(join(root(), 'e2e/play.yml'), PLAY);
  assert.is(failed.code, 2);
  assert.match(hostResult(failed.doc!, VERIFY)?.msg ?? '', 'set no-cgroups = true under [nvidia-container-cli] in /etc/nvidia-container-runtime/config.toml');
  const repaired = await phoenix();
  assert.is(repaired.code, 0, repaired.stderr);
  assert.equal(withStatus(repaired.doc!, 'changed'), ["Leave the device cgroup to LXC (no-cgroups = true in the toolkit's config)"]);
});

test.run();
