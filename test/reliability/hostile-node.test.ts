import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PctConnection } from '../../interpreter/connection/pct.js';
import { shellCommand } from '../../interpreter/connection/quote.js';
import type { Connection } from '../../interpreter/connection/types.js';
import { apt } from '../../modules/apt.js';
import { aptRepo as apt_repo } from '../../modules/apt_repo.js';
import { lxcConf as lxc_conf } from '../../modules/lxc_conf.js';
import { nvidiaRun as nvidia_run } from '../../modules/nvidia_run.js';
import { pct } from '../../modules/pct.js';
import { pctPush as pct_push } from '../../modules/pct_push.js';
import type { Module, ModuleContext } from '../../modules/types.js';
import { runModule, type Outcome } from '../support/module-context.js';
import { findCanaries, hostileString, seededRandom, StubHost } from './hostile.js';

/**
 * Node-side modules and the pct connection with seeded hostile values. Their commands run for real through
 * /bin/sh -c on a {@link StubHost}: a sandbox whose PATH holds only stubs of pct, apt-get, flock, ... that log their
 * argv (pct exec and flock go on to run the rest, as the real ones do). No CANARY may appear, no command may be a
 * shell syntax error, and the hostile values must reach the stubs as exact argv elements.
 */
const SEED = 901;
const ROUNDS = 15;

let dir = '';
let host: StubHost;
const cwd = process.cwd();
const tmpBefore = new Set<string>();

test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'phoenix-hostile-node-'));
  process.chdir(dir);
  host = new StubHost(dir);
  for (const name of readdirSync('/tmp')) tmpBefore.add(name);
});
test.after.each(() => {
  process.chdir(cwd);
  // The stubbed `rm` removes nothing: the node-side temp files that pct put / pct_push upload go here.
  for (const name of readdirSync('/tmp')) {
    if (!tmpBefore.has(name) && /^\.phoenix-(pct|push)-/.test(name)) rmSync(join('/tmp', name), { force: true });
  }
  try {
    assert.equal(findCanaries(dir), [], 'a payload ran');
    assert.equal(host.syntaxErrors(), [], 'a command line did not parse');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function nodeContext(conn: Connection, vars: Record<string, unknown> = {}): ModuleContext {
  return {
    host: conn.host, conn, check: false, diff: false, vars, env: {},
    connect: async () => host,
    resolvePath: (path) => path,
    renderTemplate: (text) => text,
    evaluate: () => undefined,
    log: () => undefined,
    progress: () => undefined,
  };
}

/** Runs a module, turning a thrown (non-module) error into a failed outcome: a refusal is fine, an injection is not. */
async function attempt(module: Module, args: Record<string, unknown>, ctx: ModuleContext): Promise<Outcome | Error> {
  try {
    return await runModule(module as Module<Record<string, unknown>>, args, ctx);
  } catch (error) {
    return error as Error;
  }
}

function callsOf(program: string, sub?: string): string[][] {
  return host.calls().filter((c) => c[0] === program && (sub === undefined || c[1] === sub));
}

test('control: an unquoted payload on the stub host does leave a canary (the checks can fail)', async () => {
  await host.run('echo $(touch CANARY)');
  assert.equal(findCanaries(dir).length, 1);
  rmSync(join(dir, 'CANARY'));
  await host.run(shellCommand('echo', '$(touch CANARY)'));
  assert.equal(findCanaries(dir), []);
});

test(`pct connection run: hostile arguments and environment values arrive exactly (seed ${SEED})`, async () => {
  const rand = seededRandom(SEED);
  const ct = new PctConnection('ct901', { node: host, nodeName: 'pve', vmid: 901 });
  for (let round = 0; round < ROUNDS; round++) {
    const values = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => hostileString(rand, { long: true }));
    const env = { PHOENIX_HOSTILE: hostileString(rand) };
    const result = await ct.run(`${shellCommand('printf', '%s\\0', ...values)}; printf '%s' "$PHOENIX_HOSTILE"`, { env });
    assert.is(result.rc, 0, result.stderr);
    assert.equal(result.stdout.split('\0'), [...values, env.PHOENIX_HOSTILE], `round ${round}`);
  }
  assert.ok(callsOf('pct', 'exec').length >= ROUNDS, 'commands went through pct exec');
});

test('pct connection get and put: hostile paths reach base64 / pct push / mv as one argument', async () => {
  const rand = seededRandom(SEED + 1);
  const ct = new PctConnection('ct901', { node: host, nodeName: 'pve', vmid: 901 });
  for (let round = 0; round < ROUNDS; round++) {
    const path = join(dir, hostileString(rand, { fileName: true }));
    writeFileSync(path, 'x');
    await ct.get(path);
    assert.equal(callsOf('base64').at(-1), ['base64', '--', path]);
    const dest = join(dir, hostileString(rand, { fileName: true }));
    await ct.put(hostileString(rand), dest, { mode: 0o600 });
    const push = callsOf('pct', 'push').at(-1)!;
    assert.ok(push[4].startsWith(`${dest}.phoenix-tmp-`), push[4]);
    assert.equal(callsOf('mv').at(-1), ['mv', '-f', '--', push[4], dest]);
  }
});

test('pct: hostile ostemplate, option values and wait_for path', async () => {
  const rand = seededRandom(SEED + 2);
  for (let round = 0; round < ROUNDS; round++) {
    const ostemplate = `local:vztmpl/${hostileString(rand)}`;
    const hostname = hostileString(rand);
    const description = hostileString(rand, { long: true });
    const waitFor = `/dev/${hostileString(rand)}`;
    const args = { vmid: 901, state: 'started', ostemplate, options: { hostname, description }, wait_for: waitFor, timeout: 1 };
    const outcome = await attempt(pct, args, nodeContext(host));
    assert.ok(!(outcome instanceof Error), String(outcome));
    assert.equal(callsOf('pct', 'create').at(-1), ['pct', 'create', '901', ostemplate, '--hostname', hostname, '--description', description]);
    assert.equal(callsOf('test').at(-1), ['test', '-e', waitFor]);
  }
});

test('pct_push: hostile source, destination, owner and group', async () => {
  const rand = seededRandom(SEED + 3);
  for (let round = 0; round < ROUNDS; round++) {
    const src = join(dir, hostileString(rand, { fileName: true }));
    writeFileSync(src, hostileString(rand));
    const dest = `/${hostileString(rand)}`;
    const owner = hostileString(rand);
    const group = hostileString(rand);
    const ct = new PctConnection('ct901', { node: host, nodeName: 'pve', vmid: 901 });
    const outcome = await attempt(pct_push, { src, dest, owner, group, mode: '0640' }, nodeContext(ct, { proxmox_vmid: 901, proxmox_node: 'pve' }));
    assert.ok(!(outcome instanceof Error), String(outcome));
    const push = callsOf('pct', 'push').at(-1)!;
    assert.equal(push.slice(5), ['--perms', '0640', '--user', owner, '--group', group]);
    assert.equal(callsOf('mv').at(-1), ['mv', '-f', '--', push[4], dest]);
  }
});

const PROC_DEVICES = 'Character devices:\n  1 mem\n195 nvidia\n195 nvidiactl\n238 nvidia-uvm\n241 nvidia-caps\n';

test('lxc_conf: hostile conf_dir and lock_dir reach flock and the write script as single arguments', async () => {
  const rand = seededRandom(SEED + 4);
  host.procDevices = PROC_DEVICES;
  for (let round = 0; round < ROUNDS; round++) {
    const confDir = join(dir, hostileString(rand, { fileName: true }));
    const lockDir = join(dir, hostileString(rand, { fileName: true }));
    mkdirSync(confDir, { recursive: true });
    const conf = join(confDir, '901.conf');
    writeFileSync(conf, 'arch: amd64\nhostname: ct901\n');
    const outcome = await attempt(lxc_conf, { vmid: 901, gpu_assignment: '0', style: 'raw', conf_dir: confDir, lock_dir: lockDir }, nodeContext(host));
    assert.ok(!(outcome instanceof Error), String(outcome));
    assert.equal(callsOf('mkdir').at(-1), ['mkdir', '-m', '0755', '--', lockDir], 'each missing level is made with its mode');
    const flock = callsOf('flock').at(-1)!;
    assert.is(flock[3], join(lockDir, 'pve-config-901.lock'));
    assert.is(flock[8], conf, 'the write script got the conf path as $1');
  }
});

test('apt: hostile version pins (name=VERSION takes any non-space text) reach apt-get as one argument', async () => {
  const rand = seededRandom(SEED + 6);
  for (let round = 0; round < ROUNDS; round++) {
    const name = `cuda-toolkit-12-8=${hostileString(rand).replace(/\s/g, '')}x`;
    const outcome = await attempt(apt, { name: [name, 'curl'], state: 'present' }, nodeContext(host));
    assert.ok(!(outcome instanceof Error), String(outcome));
    const install = host.calls().filter((c) => c[0] === 'apt-get' && c.includes('install')).at(-1);
    assert.ok(install?.includes(name), `apt-get install got ${JSON.stringify(install)}: ${JSON.stringify(outcome)}`);
  }
});

test('nvidia_run (plan) and apt_repo (plan): hostile paths, URLs and pin values never run', async () => {
  const rand = seededRandom(SEED + 5);
  for (let round = 0; round < ROUNDS; round++) {
    const cacheDir = join(dir, hostileString(rand, { fileName: true }));
    const tmp = join(dir, hostileString(rand, { fileName: true }));
    const url = `https://example.invalid/${hostileString(rand).replace(/\s/g, '_')}/NVIDIA-Linux-x86_64-580.76.05.run`;
    const planOnly = { ...nodeContext(host), check: true };
    const run = await attempt(nvidia_run, { mode: 'host', version: '580.76.05', url, cache_dir: cacheDir, tmpdir: tmp }, planOnly);
    assert.ok(!(run instanceof Error) || !/injection|syntax/i.test(run.message), String(run));
    const keyUrl = hostileString(rand);
    const repo = await attempt(apt_repo, {
      name: 'cuda', uri: `https://example.invalid/${hostileString(rand).replace(/\s/g, '_')}`, key_url: keyUrl,
      keyring: `/usr/share/keyrings/${hostileString(rand).replace(/\s/g, '_')}`,
      pin: { label: hostileString(rand, { singleLine: true }), priority: 600, packages: hostileString(rand, { singleLine: true }) },
    }, planOnly);
    assert.ok(!(repo instanceof Error) || !/injection|syntax/i.test(repo.message), String(repo));
    assert.equal(callsOf('curl').at(-1)?.at(-1), keyUrl, `the key URL reached curl as one argument: ${String(repo instanceof Error ? repo : repo.msg)}`);
  }
  assert.ok(host.results.length > 0, 'the modules did run commands on the stub host');
});

test.run();
