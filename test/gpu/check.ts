import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalConnection } from '../../interpreter/connection/local.js';
import { lxcConf } from '../../modules/lxc_conf.js';
import type { Module } from '../../modules/types.js';
import { localCheckContext, planInCheckMode } from '../support/check-plan.js';
import { verify } from '../../modules/verify.js';

/**
 * The real-GPU check (scripts/gpu-host-check.sh runs it on the device machine): phoenix's `verify` and `lxc_conf`
 * planned in check mode against the real NVIDIA driver, each outcome compared with what plain commands
 * (cat, awk, grep) say independently. Changes nothing: lxc_conf plans on a config in a temp directory.
 */

interface Outcome {
  status: 'ok' | 'changed' | 'failed' | 'skipped';
  reason?: string;
  msg?: string;
  changes: string[];
  data: Record<string, unknown>;
  facts?: Record<string, unknown>;
  after?: string;
}

const conn = new LocalConnection('gpu-host');

/** Validate, plan, report: what the executor does in check mode. */
async function plan(module: Module, args: Record<string, unknown>): Promise<Outcome> {
  const { text, ...got } = await planInCheckMode(module, args, localCheckContext(conn));
  if (got.status === 'failed') return { ...got, msg: text };
  return got.status === 'ok' ? { ...got, reason: text } : got;
}

async function sh(command: string): Promise<string> {
  return (await conn.run(command)).stdout.trim();
}

/** What plain commands say, as the oracle for phoenix's parsers. */
async function oracle(): Promise<{ module: string; gpus: number; uvm: string; caps: string; nvcc: string }> {
  return {
    module: await sh('cat /sys/module/nvidia/version 2>/dev/null'),
    gpus: Number(await sh("nvidia-smi -L 2>/dev/null | grep -c '^GPU '")),
    uvm: await sh("awk '$2==\"nvidia-uvm\"{print $1}' /proc/devices"),
    caps: await sh("awk '$2==\"nvidia-caps\"{print $1}' /proc/devices"),
    nvcc: await sh("PATH=$PATH:/usr/local/cuda/bin nvcc --version 2>/dev/null | sed -n 's/.*release \\([0-9.]*\\),.*/\\1/p'"),
  };
}

const results: Array<{ step: string; pass: boolean; why: string }> = [];

function report(step: string, args: Record<string, unknown>, got: Outcome, pass: boolean, why: string): void {
  results.push({ step, pass, why });
  console.log(`\n-- ${step}\n   args: ${JSON.stringify(args)}\n   status: ${got.status}`);
  if (got.reason) console.log(`   reason: ${got.reason}`);
  if (got.msg) console.log(`   msg: ${got.msg}`);
  for (const c of got.changes) console.log(`   change: ${c}`);
  for (const [k, v] of Object.entries(got.data)) console.log(`   data.${k}: ${JSON.stringify(v)}`);
  if (got.facts) console.log(`   facts: ${JSON.stringify(got.facts)}`);
  console.log(`   expectation: ${pass ? 'HOLDS' : 'BROKEN'} (${why})`);
}

async function verifySteps(o: Awaited<ReturnType<typeof oracle>>): Promise<void> {
  const found = await plan(verify, {});
  const gpus = (found.data.gpus as unknown[] | undefined)?.length;
  report('verify {} (check mode)', {}, found, found.status === 'ok' && found.data.driver_version === o.module && gpus === o.gpus,
    `ok, driver ${o.module} from /sys/module/nvidia/version, ${o.gpus} GPU(s) from nvidia-smi -L`);
  const exact = { driver_version: o.module, gpus: o.gpus, host_driver_version: o.module, ...(o.nvcc ? { cuda_version: o.nvcc } : {}) };
  const ok = await plan(verify, exact);
  report('verify with the detected versions as configuration', exact, ok, ok.status === 'ok', 'ok');
  const wrong = { driver_version: '999.99.99', checks: ['driver'] };
  const failed = await plan(verify, wrong);
  report('verify with a driver version this host does not have', wrong, failed,
    failed.status === 'failed' && !!failed.msg?.includes(`driver ${o.module} is loaded, expected 999.99.99`), 'failed, naming both versions');
}

/** A config as old scripts left it: hardcoded 243, a snapshot section after the main one. */
const SAMPLE_CONF = `arch: amd64
cores: 4
hostname: gpu-check
memory: 8192
ostype: ubuntu
parent: base
rootfs: local-lvm:vm-901-disk-0,size=32G
unprivileged: 1
lxc.cgroup2.devices.allow: c 195:* rwm
lxc.cgroup2.devices.allow: c 243:* rwm
lxc.mount.entry: /dev/nvidia0 dev/nvidia0 none bind,optional,create=file

[base]
arch: amd64
hostname: gpu-check
snaptime: 1764060000
`;

async function lxcConfSteps(o: Awaited<ReturnType<typeof oracle>>, dir: string): Promise<void> {
  await mkdir(join(dir, 'lxc'));
  await writeFile(join(dir, 'lxc', '901.conf'), SAMPLE_CONF);
  const gpus = Array.from({ length: Math.max(o.gpus, 1) }, (_, i) => i).join(',');
  const args = { vmid: 901, gpu_assignment: gpus, conf_dir: join(dir, 'lxc'), lock_dir: join(dir, 'lock') };
  const got = await plan(lxcConf, args);
  const allow = [195, o.uvm, ...(o.caps ? [o.caps] : [])].map((m) => `lxc.cgroup2.devices.allow: c ${m}:* rwm`);
  const planned = (got.after ?? '').split('\n').filter((l) => l.startsWith('lxc.cgroup2.devices.allow'));
  const untouched = (await readFile(join(dir, 'lxc', '901.conf'), 'utf8')) === SAMPLE_CONF;
  report('lxc_conf check mode on a temp copy of an old-script config', args, got,
    got.status === 'changed' && JSON.stringify(planned) === JSON.stringify(allow) && untouched,
    `changed, allow rules exactly ${allow.map((l) => l.split(' ')[2]).join(' ')} from /proc/devices, file untouched`);
  console.log(`   planned file:\n${(got.after ?? '').replace(/^/gm, '     | ')}`);
  await writeFile(join(dir, 'lxc', '901.conf'), got.after ?? '');
  const again = await plan(lxcConf, args);
  report('lxc_conf planned again on the predicted file', args, again, again.status === 'ok', 'ok: the plan reaches a fixed point');
}

async function main(): Promise<void> {
  console.log(`== phoenix gpu-host-check on ${hostname()} at ${new Date().toISOString()}`);
  const o = await oracle();
  console.log(`   oracle: ${JSON.stringify(o)}`);
  const dir = await mkdtemp(join(tmpdir(), 'phoenix-gpu-check-'));
  try {
    await verifySteps(o);
    await lxcConfSteps(o, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const held = results.filter((r) => r.pass).length;
  console.log(`\n== gpu-host-check: ${held}/${results.length} expectations hold`);
  for (const r of results.filter((x) => !x.pass)) console.log(`   BROKEN: ${r.step}: expected ${r.why}`);
  process.exitCode = held === results.length ? 0 : 1;
}

await main();
