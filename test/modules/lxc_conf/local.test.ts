import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LocalConnection } from '../../../interpreter/connection/local.js';
import { shellCommand } from '../../../interpreter/connection/quote.js';
import type { CommandResult, RunOptions } from '../../../interpreter/connection/types.js';
import { PlannedState } from '../../../interpreter/executor/planned-state.js';
import { lxcConf } from '../../../modules/lxc_conf.js';
import { readFixtureFile, sharedDir } from '../../support/fixture-connection.js';
import { moduleContext, removeDir, runModule, tempDir } from '../../support/module-context.js';

/**
 * lxc_conf on real files: a temp conf_dir and lock_dir, real flock, sha1sum, rename. Each command runs in a private
 * mount namespace where the real H100 host's /proc/devices is bound over this machine's (which has no NVIDIA
 * majors), the way the lab's nodes see it.
 */
class H100ProcConnection extends LocalConnection {
  override run(command: string, options?: RunOptions): Promise<CommandResult> {
    const procDevices = join(sharedDir(), 'fixtures/gpu-h100-ubuntu2404/proc-devices.txt');
    const wrapped = shellCommand('unshare', '--mount', '--propagation', 'private', 'sh', '-c',
      'mount --bind "$1" /proc/devices && exec sh -c "$2"', 'sh', procDevices, command);
    return super.run(wrapped, options);
  }
}

let dir = '';
const ctx = (check: boolean) => ({ ...moduleContext({ check, diff: true }), conn: new H100ProcConnection('node') });
const args = () => ({ vmid: 901, gpu_assignment: '0,1', conf_dir: join(dir, 'lxc'), lock_dir: join(dir, 'lock') });
const conf = () => join(dir, 'lxc', '901.conf');

test.before.each(async () => {
  dir = await tempDir('phoenix-lxc-conf-');
  await mkdir(join(dir, 'lxc'));
  await writeFile(conf(), readFixtureFile('file:test/modules/lxc_conf/confs/snapshots.conf'));
  await chmod(conf(), 0o640);
});
test.after.each(() => removeDir(dir));

test('check changes nothing, apply writes what check predicted, a second apply is ok', async () => {
  const before = await readFile(conf(), 'utf8');
  const checked = await runModule(lxcConf, args(), ctx(true));
  assert.is(checked.status, 'changed');
  assert.is(await readFile(conf(), 'utf8'), before, 'check mode wrote nothing');

  const applied = await runModule(lxcConf, args(), ctx(false));
  assert.is(applied.status, 'changed', applied.msg);
  const after = await readFile(conf(), 'utf8');
  assert.is(after, checked.diffs[0]!.after, 'apply wrote the predicted content');
  assert.is(after, readFixtureFile('file:test/modules/lxc_conf/confs/snapshots.after.conf'));
  assert.is((await stat(conf())).mode & 0o777, 0o640, 'mode kept');
  assert.equal(await readdir(join(dir, 'lxc')), ['901.conf'], 'no <file>.tmp.<pid> left');
  assert.equal(await readdir(join(dir, 'lock')), ['pve-config-901.lock'], "PVE's lock file was taken");

  const again = await runModule(lxcConf, args(), ctx(false));
  assert.is(again.status, 'ok');
  assert.is(again.reason, '901.conf already passes GPU 0,1 (uvm major 238, caps major 241) through with 9 lines; auto chose raw: dpkg does not know pve-container');
});

test('a missing lock dir and its parent are made 0755 (whatever the umask) by the write itself', async () => {
  const lockDir = join(dir, 'run-lock', 'lxc');
  const old = process.umask(0o077);
  let applied;
  try {
    applied = await runModule(lxcConf, { ...args(), lock_dir: lockDir }, ctx(false));
  } finally {
    process.umask(old);
  }
  assert.is(applied.status, 'changed', applied.msg);
  for (const d of [join(dir, 'run-lock'), lockDir]) assert.is((await stat(d)).mode & 0o7777, 0o755, d);
  assert.equal(await readdir(lockDir), ['pve-config-901.lock']);
});

test('a file changed between planning and writing is not overwritten', async () => {
  const c = ctx(false);
  const a = args();
  const plan = await lxcConf.plan(c, a);
  await writeFile(conf(), (await readFile(conf(), 'utf8')) + 'lock: backup\n');
  const result = await lxcConf.apply(c, a, plan);
  assert.match(result.failed ?? '', 'changed since it was read; run again');
  assert.match(await readFile(conf(), 'utf8'), /lock: backup\n$/);
});

test('the write waits for the config lock PVE holds', async () => {
  const c = ctx(false);
  const a = args();
  const plan = await lxcConf.plan(c, a);
  const lock = join(dir, 'lock', 'pve-config-901.lock');
  // Another holder of the lock edits the file and then releases it: the module must see that edit and refuse.
  await mkdir(join(dir, 'lock'));
  const holder = new LocalConnection('holder').run(shellCommand('flock', lock, 'sh', '-c',
    'sleep 1; printf "lock: migrate\\n" >>"$1"', 'sh', conf()));
  await new Promise((res) => setTimeout(res, 300));
  const result = await lxcConf.apply(c, a, plan);
  await holder;
  assert.match(result.failed ?? '', 'changed since it was read');
});

test('bytes that are not UTF-8 (a latin1 comment) are written back as they were', async () => {
  const head = Buffer.from('#Caf\xe9 GPU box\narch: amd64\nhostname: latin\n', 'latin1');
  await writeFile(conf(), head);
  const got = await runModule(lxcConf, args(), ctx(false));
  assert.is(got.status, 'changed', got.msg);
  const bytes = await readFile(conf());
  assert.ok(bytes.subarray(0, head.length).equals(head), 'the first bytes are unchanged');
  assert.match(bytes.subarray(head.length).toString('utf8'), /^lxc\.cgroup2\.devices\.allow: c 195:\* rwm\n/);
  assert.is((await runModule(lxcConf, args(), ctx(false))).status, 'ok');
});

test('check mode: a clone this run creates starts with its parent\'s config as planned, up the clone chain', async () => {
  const planned = new PlannedState();
  const check = () => ({ ...ctx(true), planned });
  const from = (cloneOf: number) => ({ exists: true, running: false, config: {}, snapshots: [], template: false, createdFrom: { cloneOf } });
  planned.set('container', 'node/902', from(901));
  planned.set('container', 'node/903', from(902));
  planned.set('container', 'node/904', { ...from(0), createdFrom: { ostemplate: 'local:vztmpl/ubuntu.tar.zst' } });
  const parent = await runModule(lxcConf, args(), check());
  assert.is(parent.status, 'changed', 'the parent is planned to gain its lines');
  const clone = await runModule(lxcConf, { ...args(), vmid: 902 }, check());
  assert.is(clone.status, 'ok', clone.msg);
  assert.is(clone.reason, '902.conf already passes GPU 0,1 (uvm major 238, caps major 241) through with 9 lines; auto chose raw: dpkg does not know pve-container');
  const grandchild = await runModule(lxcConf, { ...args(), vmid: 903, gpu_assignment: '0' }, check());
  assert.is(grandchild.status, 'changed', 'one GPU fewer than its parent');
  const fromTemplate = await runModule(lxcConf, { ...args(), vmid: 904, gpu_assignment: 'none' }, check());
  assert.is(fromTemplate.status, 'ok', fromTemplate.msg);
  const unknown = await runModule(lxcConf, { ...args(), vmid: 905 }, check());
  assert.is(unknown.status, 'failed', 'a container nobody plans is still missing');
  assert.equal(await readdir(join(dir, 'lxc')), ['901.conf'], 'check mode wrote nothing');
});

test.run();
