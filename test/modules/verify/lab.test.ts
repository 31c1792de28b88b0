import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ConnectionPool, HostVars } from '../../../interpreter/connection/pool.js';
import { lxcConf } from '../../../modules/lxc_conf.js';
import type { ModuleContext } from '../../../modules/types.js';
import { verify } from '../../../modules/verify.js';
import { LabLease, announceSkip, labNodeVars, labPool, labSkipReason } from '../../lab/fixture.js';
import { labNode, onNode, pct } from '../../../lab/lab.js';
import { moduleContext, runModule } from '../../support/module-context.js';
import { gpuFixture } from '../../support/shared.js';
import { setupOnce } from '../../support/setup-once.js';

// verify inside a real lab container over pct through the node's SSH connection: the stand-in driver's user space
// (580.159.04) installed in the container with --no-kernel-module, the node "loading" a kernel module by its
// /proc/driver/nvidia/version, GPU passthrough by lxc_conf. Then the failures verify exists for, made for real.
const test = suite('verify in a lab container (stand-in driver, real LXC passthrough)');
const lab = new LabLease();
const CT = '731';
const USER_SPACE = '580.159.04';
const H100_PROC = readFileSync(gpuFixture('proc-driver-nvidia-version.txt'), 'utf8');
let dispose = async (): Promise<void> => undefined;
let pool: ConnectionPool;
let moduleBefore: string | undefined;

const ctVars = (): HostVars => ({ ansible_connection: 'pct', proxmox_node: lab.node, proxmox_vmid: CT });

async function context(host: string, vars: Record<string, unknown>): Promise<ModuleContext> {
  return { ...moduleContext({ vars }), host, conn: await pool.get(host), connect: (h) => pool.get(h) };
}

async function passthrough(gpus: string): Promise<void> {
  const r = await runModule(lxcConf, { vmid: Number(CT), gpu_assignment: gpus, style: 'raw' }, await context(lab.node, {}));
  assert.ok(r.status !== 'failed', r.msg);
  await pct(lab.node, 'stop', CT);
  assert.is((await pct(lab.node, 'start', CT)).rc, 0);
}

/** The node "loads" a kernel module of this version (the lab's /proc/driver is a plain directory per node). */
function loadNodeModule(text: string | undefined): void {
  const dir = join(labNode(lab.node).procDriver, 'nvidia');
  if (text === undefined) return rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'version'), text);
}

async function verifyInCt(args: Record<string, unknown>) {
  return runModule(verify, args, await context(`ct${CT}`, { proxmox_node: lab.node, proxmox_vmid: CT }));
}

setupOnce(test, async () => {
  await lab.acquire({ privateNode: true });
  try {
    moduleBefore = readFileSync(join(labNode(lab.node).procDriver, 'nvidia', 'version'), 'utf8');
  } catch {
    moduleBefore = undefined;
  }
  // This file's private node: it changes the node's loaded driver, which other test files must not see.
  ({ pool, dispose } = labPool((h) => (h === lab.node ? labNodeVars(lab) : h === `ct${CT}` ? ctVars() : undefined)));
  await pct(lab.node, 'stop', CT);
  await pct(lab.node, 'destroy', CT);
  // Privileged: the wrong-major case below is refused by the device cgroup, which decides only in privileged CTs
  // (an unprivileged CT's is PVE's deny-list: test/lab/unprivileged.test.ts; site.test verifies unprivileged CTs).
  const r = await pct(lab.node, 'create', CT, 'local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst', '--hostname', 'verify',
    '--unprivileged', '0');
  assert.is(r.rc, 0, r.stderr);
  loadNodeModule(H100_PROC);
  await passthrough('0,1');
  const url = lab.info.artifacts?.runfileUrls[USER_SPACE];
  assert.ok(url, `the lab's artifact server offers the stand-in ${USER_SPACE} .run`);
  const install = await pct(lab.node, 'exec', CT, '--', 'sh', '-c',
    'curl -fsS "$1" -o /root/driver.run && sh /root/driver.run --silent --no-kernel-module', 'sh', url!);
  assert.is(install.rc, 0, install.stdout + install.stderr);
});

test.after(async () => {
  await dispose();
  await pct(lab.node, 'stop', CT);
  await pct(lab.node, 'destroy', CT);
  loadNodeModule(moduleBefore);
  await lab.release();
});

test('user space = node module, two GPUs passed through: ok with the facts', async () => {
  const got = await verifyInCt({ driver_version: USER_SPACE, gpus: [0, 1] });
  assert.is(got.status, 'ok', got.msg);
  assert.is(got.reason, `driver ${USER_SPACE} on 2 GPUs`);
  assert.is(got.data.host_driver_version, USER_SPACE, "read from the node's /proc/driver/nvidia/version over SSH");
  assert.is(got.data.kernel_module_version, USER_SPACE);
  assert.equal((got.data.gpus as Array<{ bus_id: string }>).map((g) => g.bus_id), ['00000000:00:06.0', '00000000:00:07.0']);
  const nvidia = got.facts?.nvidia as Record<string, unknown>;
  assert.is(nvidia.driver_version, USER_SPACE);
});

test('only GPU 0 passed through: GPU 1 is missing', async () => {
  await passthrough('0');
  const got = await verifyInCt({ gpus: [0, 1] });
  assert.is(got.status, 'failed');
  assert.equal(got.data.problems, ['expected GPU 0,1, nvidia-smi lists 1', 'device nodes missing: /dev/nvidia1']);
  await passthrough('0,1');
});

test("the old scripts' 243 instead of uvm's 238: /dev/nvidia-uvm is mounted but the cgroup refuses it", async () => {
  const f = `/etc/pve/lxc/${CT}.conf`;
  assert.is((await onNode(lab.node, 'sed -i "s/c 238:\\* rwm/c 243:* rwm/" "$1"', f)).rc, 0);
  await pct(lab.node, 'stop', CT);
  await pct(lab.node, 'start', CT);
  const got = await verifyInCt({ checks: ['devices'] });
  assert.is(got.status, 'failed');
  assert.match(got.msg ?? '', /^\/dev\/nvidia-uvm exists but opening it fails \(.*Operation not permitted\): the device cgroup does not allow major 238/);
  await passthrough('0,1');
  assert.is((await verifyInCt({ checks: ['devices'], gpus: [0, 1] })).status, 'ok', 'lxc_conf repaired it');
});

test('the node updated to 580.76.05, the container not: NVML mismatch and the node comparison', async () => {
  loadNodeModule(H100_PROC.replace('580.159.04', '580.76.05'));
  try {
    const got = await verifyInCt({ driver_version: USER_SPACE });
    assert.is(got.status, 'failed');
    const problems = got.data.problems as string[];
    assert.match(problems[0]!, 'Failed to initialize NVML: Driver/library version mismatch (NVML library version: 580.159; kernel module 580.76.05');
    assert.is(problems[1], `container user space 580.159 != node ${lab.node} kernel module 580.76.05`);
  } finally {
    loadNodeModule(H100_PROC);
  }
});

/** The lab's stand-in nvcc (cuda-nvcc-12-8 from the artifact server's CUDA repo), installed alone with dpkg. */
async function installNvcc(): Promise<void> {
  const deb = `${lab.info.artifacts!.apt.cuda.url}cuda-nvcc-12-8_12.8.93-1_amd64.deb`;
  const r = await pct(lab.node, 'exec', CT, '--', 'sh', '-c', 'curl -fsS "$1" -o /root/nvcc.deb && dpkg -i /root/nvcc.deb', 'sh', deb);
  assert.is(r.rc, 0, r.stdout + r.stderr);
}

const COMPUTE_TWO = 'compute: 2 GPUs (2x NVIDIA H100 80GB HBM3 sm_90), vector add 4 MiB ok';

test('compute: the stand-in nvcc compiles the check once, the next verify reuses it', async () => {
  await installNvcc();
  const first = await verifyInCt({ checks: ['compute'], gpus: [0, 1] });
  assert.is(first.status, 'ok', first.msg);
  assert.is(first.reason, `${COMPUTE_TWO}, compiled by nvcc 12.8`);
  const again = await verifyInCt({ checks: ['compute'], gpus: [0, 1] });
  assert.is(again.reason, `${COMPUTE_TWO}, cached build of nvcc 12.8`);
  const cache = await pct(lab.node, 'exec', CT, '--', 'ls', '/var/cache/phoenix/compute-check');
  assert.match(cache.stdout, /^compute-check-[0-9a-f]{16}\ncompute-check-[0-9a-f]{16}\.cu\n$/, 'the binary and its source, nothing else');
});

test('compute: only GPU 0 passed through names /dev/nvidia1; the cgroup refusing uvm gives cudaErrorUnknown', async () => {
  await passthrough('0');
  let got = await verifyInCt({ checks: ['compute'], gpus: [0, 1] });
  assert.equal(got.data.problems, ['compute: no /dev/nvidia1: that GPU is not passed through (lxc_conf gpu_assignment)']);
  await passthrough('0,1');
  assert.is((await onNode(lab.node, 'sed -i "s/c 238:\\* rwm/c 243:* rwm/" "$1"', `/etc/pve/lxc/${CT}.conf`)).rc, 0);
  await pct(lab.node, 'stop', CT);
  await pct(lab.node, 'start', CT);
  got = await verifyInCt({ checks: ['compute'], gpus: [0, 1] });
  assert.match(got.msg ?? '', /^compute: cudaErrorUnknown from cudaGetDeviceCount: unknown error \(often \/dev\/nvidia-uvm unusable/);
  await passthrough('0,1');
});

test('compute: a node module of another version than the container\'s libcuda: cudaErrorSystemDriverMismatch', async () => {
  loadNodeModule(H100_PROC.replace('580.159.04', '580.76.05'));
  try {
    const got = await verifyInCt({ checks: ['compute'], gpus: [0, 1] });
    assert.match(got.msg ?? '', /^compute: cudaErrorSystemDriverMismatch from cudaGetDeviceCount: /);
  } finally {
    loadNodeModule(H100_PROC);
  }
});

const skip = labSkipReason();
if (skip) announceSkip('test/modules/verify/lab.test.ts', skip);
else test.run();
