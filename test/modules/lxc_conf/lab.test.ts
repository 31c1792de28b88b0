import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ConnectionPool } from '../../../interpreter/connection/pool.js';
import type { ModuleContext } from '../../../modules/types.js';
import { lxcConf } from '../../../modules/lxc_conf.js';
import { LabLease, announceSkip, labNodeVars, labPool, labSkipReason } from '../../lab/fixture.js';
import { onNode, pct } from '../../../lab/lab.js';
import { moduleContext, runModule } from '../../support/module-context.js';
import { setupOnce } from '../../support/setup-once.js';

// lxc_conf on a real lab container over real SSH: check, apply, re-apply = ok; after a restart the container sees
// /dev/nvidia0 and the cgroup lets /dev/nvidia-uvm (major 238 from the node's /proc/devices) through, where the old
// scripts' hardcoded 243 denied it.
const test = suite('lxc_conf on the lab node (ssh, pct, real LXC)');
const lab = new LabLease();
const CT = '730';
const CONF = `/etc/pve/lxc/${CT}.conf`;
let pool: ConnectionPool;
let dispose = async (): Promise<void> => undefined;

function ctx(check: boolean): ModuleContext {
  return { ...moduleContext({ check, diff: true }), host: 'pve1', conn: undefined as never, connect: (h) => pool.get(h) };
}

async function run(check: boolean) {
  const c = ctx(check);
  return runModule(lxcConf, { vmid: Number(CT), gpu_assignment: '0', style: 'raw' }, { ...c, conn: await pool.get('pve1') });
}

async function conf(): Promise<string> {
  return (await onNode('pve1', 'cat "$1"', CONF)).stdout;
}

async function inCt(script: string): Promise<string> {
  return (await pct('pve1', 'exec', CT, '--', 'sh', '-c', `{ ${script}; } 2>&1`)).stdout;
}

async function restart(): Promise<void> {
  await pct('pve1', 'stop', CT);
  const r = await pct('pve1', 'start', CT);
  assert.is(r.rc, 0, r.stderr);
}

setupOnce(test, async () => {
  await lab.acquire();
  ({ pool, dispose } = labPool((h) => (h === 'pve1' ? labNodeVars(lab, 'pve1') : undefined)));
  await pct('pve1', 'stop', CT);
  await pct('pve1', 'destroy', CT);
  const r = await pct('pve1', 'create', CT, 'local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst', '--hostname', 'gpu');
  assert.is(r.rc, 0, r.stderr);
  await pct('pve1', 'snapshot', CT, 'base');
  // What the old scripts left: the uvm major hardcoded as 243 (hidraw on the fixture host) in the main section.
  const old = await onNode('pve1', 'f=$1; { sed "/^\\[/,\\$d" "$f" | sed "\\$d"; printf "%s\\n" "$2" "$3" ""; sed -n "/^\\[/,\\$p" "$f"; } >"$f.new" && mv "$f.new" "$f"',
    CONF, 'lxc.cgroup2.devices.allow: c 195:* rwm', 'lxc.cgroup2.devices.allow: c 243:* rwm');
  assert.is(old.rc, 0, old.stderr);
  assert.is((await pct('pve1', 'start', CT)).rc, 0);
});

test.after(async () => {
  await dispose();
  await pct('pve1', 'stop', CT);
  await pct('pve1', 'destroy', CT);
  await lab.release();
});

test('check mode plans the repair and changes nothing', async () => {
  const before = await conf();
  assert.match(before, /c 243:\* rwm\n\n\[base\]\n/, 'set-up: old lines at the end of the main section');
  const got = await run(true);
  assert.is(got.status, 'changed', got.msg);
  assert.equal(got.data.removed, [{ line: 'lxc.cgroup2.devices.allow: c 243:* rwm',
    why: 'major 243 is hidraw, not an NVIDIA device, and no other device of this config uses it' }]);
  assert.is(got.data.restart_required, true, 'the container is running');
  assert.is(got.diffs[0]!.before, before);
  assert.is(await conf(), before, 'check mode wrote nothing');
});

test('apply writes what check predicted, in the main section; a second run is ok', async () => {
  const predicted = (await run(true)).diffs[0]!.after;
  const applied = await run(false);
  assert.is(applied.status, 'changed', applied.msg);
  const after = await conf();
  assert.is(after, predicted);
  const [main, snapshot] = after.split('\n[base]\n');
  assert.match(main!, 'lxc.cgroup2.devices.allow: c 238:* rwm\n');
  assert.match(main!, 'lxc.mount.entry: /dev/nvidia0 dev/nvidia0 none bind,optional,create=file\n');
  assert.not.match(after, 'c 243:*');
  assert.not.match(snapshot!, 'lxc.', 'the snapshot section is untouched');
  const again = await run(false);
  assert.is(again.status, 'ok', again.changes.map((c) => c.summary).join('; '));
  assert.is(again.reason, '730.conf already passes GPU 0 (uvm major 238, caps major 241) through with 8 lines; raw as configured');
  assert.is(await conf(), after);
});

test('after pct stop/start the container sees /dev/nvidia0 and the cgroup allows nvidia-uvm', async () => {
  await restart();
  assert.is(await inCt("stat -c '%F %t:%T' /dev/nvidia0"), 'character special file c3:0\n');
  // ENXIO: the devices cgroup let the open through (238 = 0xee allowed) and no real driver answers in the lab.
  assert.is(await inCt("stat -c '%t:%T' /dev/nvidia-uvm"), 'ee:0\n');
  assert.match(await inCt('cat /dev/nvidia-uvm'), 'No such device or address');
  assert.match(await inCt('cat /dev/nvidiactl'), 'No such device or address');
});

test('state absent removes the lines; after a restart /dev/nvidia0 is gone', async () => {
  const c = { ...ctx(false), conn: await pool.get('pve1') };
  const got = await runModule(lxcConf, { vmid: Number(CT), state: 'absent', style: 'raw' }, c);
  assert.is(got.status, 'changed', got.msg);
  assert.not.match(await conf(), 'nvidia');
  await restart();
  assert.match(await inCt('ls /dev/nvidia0'), 'No such file or directory');
});

test('style devN: pct set plans, applies (pending while running), re-plans ok; after a restart the nodes are there', async () => {
  const devArgs = { vmid: Number(CT), gpu_assignment: '1', style: 'devN' };
  const conn = await pool.get('pve1');
  const checked = await runModule(lxcConf, devArgs, { ...ctx(true), conn });
  assert.is(checked.status, 'changed', checked.msg);
  assert.is(checked.changes[0]!.summary, `pct set ${CT} --dev0 /dev/nvidia1,mode=0666 --dev1 /dev/nvidiactl,mode=0666 ` +
    '--dev2 /dev/nvidia-uvm,mode=0666 --dev3 /dev/nvidia-uvm-tools,mode=0666 --dev4 /dev/nvidia-caps/nvidia-cap1,mode=0400 ' +
    '--dev5 /dev/nvidia-caps/nvidia-cap2,mode=0444', 'the capability nodes keep the node\'s modes (lab/node.ts: 400, 444)');
  assert.not.match(await conf(), 'dev0:', 'check mode set nothing');
  const applied = await runModule(lxcConf, devArgs, { ...ctx(false), conn });
  assert.is(applied.status, 'changed', applied.msg);
  assert.match(await conf(), '[pve:pending]', 'a running container gets devN at its next start');
  const again = await runModule(lxcConf, devArgs, { ...ctx(false), conn });
  assert.is(again.status, 'ok', again.changes.map((c) => c.summary).join('; '));
  await restart();
  assert.is(await inCt("stat -c '%a %t:%T' /dev/nvidia1 /dev/nvidia-uvm"), '666 c3:1\n666 ee:0\n');
  const removed = await runModule(lxcConf, { ...devArgs, state: 'absent' }, { ...ctx(false), conn });
  assert.is(removed.status, 'changed', removed.msg);
});

const skip = labSkipReason();
if (skip) announceSkip('test/modules/lxc_conf/lab.test.ts', skip);
else test.run();
