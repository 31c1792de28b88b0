import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PlannedState } from '../../interpreter/executor/planned-state.js';
import { sharedAnswers } from '../../interpreter/executor/context.js';
import { lxcConf } from '../../modules/lxc_conf.js';
import { FixtureConnection, readFixtureFile, type FixtureResponse } from '../support/fixture-connection.js';
import { moduleContext, runModule, type Outcome } from '../support/module-context.js';

/**
 * One case per test/modules/lxc_conf/<case>.json: the node's outputs in (responses, conf file), the plan out
 * (check mode). `conf` is the container's config (`file:` path or text); `expect.after` the planned new content.
 * Every changed case that only edits the file is planned again on its predicted content and must then be ok (idempotency), and every
 * changed case planned again in the same check run (what it recorded for the tasks after it) must be ok too.
 */
interface Case {
  description: string;
  args: Record<string, unknown>;
  conf?: string;
  responses?: FixtureResponse[];
  expect: {
    status: Outcome['status'];
    reason?: string;
    /** Substrings the failure message must contain. */
    msg?: string[];
    changes?: string[];
    after?: string;
    data?: Record<string, unknown>;
  };
}

const dir = join(dirname(fileURLToPath(import.meta.url)), '../../../test/modules/lxc_conf');

/**
 * The real H100 node's /proc/devices, a stopped container, no other passthrough device, and no pve-container
 * known to dpkg (a plain Debian node, as the lab's): style auto is raw unless a case says otherwise.
 */
const DEFAULTS: FixtureResponse[] = [
  { match: "^dpkg-query -W '-f=\\$\\{Version\\}' pve-container$", rc: 1, stderr: 'dpkg-query: no packages found matching pve-container\n' },
  { match: '^cat /proc/devices$', stdoutFile: 'shared:fixtures/gpu-h100-ubuntu2404/proc-devices.txt' },
  { match: '^lxc-info -n \\d+ -sH$', stdout: 'STOPPED\n' },
  { match: '^stat -L ', rc: 1 },
];

const text = (ref: string): string => (ref.startsWith('file:') || ref.startsWith('shared:') ? readFixtureFile(ref) : ref);

async function plan(c: Case, conf: string | undefined, planned = new PlannedState()): Promise<{ got: Outcome; conn: FixtureConnection }> {
  const path = `${c.args.conf_dir ?? '/etc/pve/lxc'}/${c.args.vmid}.conf`;
  const conn = new FixtureConnection('pve1', [...(c.responses ?? []), ...DEFAULTS], conf === undefined ? {} : { [path]: conf });
  const ctx = { ...moduleContext({ check: true, diff: true }), host: 'pve1', conn, planned };
  return { got: await runModule(lxcConf, c.args, ctx), conn };
}

function expectOutcome(got: Outcome, want: Case['expect'], label: string): void {
  assert.is(got.status, want.status, `${label}: status (msg: ${got.msg}, reason: ${got.reason})`);
  if (got.status === 'ok') assert.ok(got.reason, `${label}: ok has a reason`);
  if (want.reason !== undefined) assert.is(got.reason, want.reason, `${label}: reason`);
  for (const part of want.msg ?? []) assert.ok(got.msg?.includes(part), `${label}: msg has "${part}": ${got.msg}`);
  if (want.changes) assert.equal(got.changes.map((ch) => ch.summary), want.changes, `${label}: changes`);
  if (want.after !== undefined) assert.fixture(got.diffs[0]?.after ?? '', text(want.after), `${label}: planned content`);
  for (const [key, value] of Object.entries(want.data ?? {})) assert.equal(got.data[key], value, `${label}: data.${key}`);
}

for (const name of (await readdir(dir)).filter((n) => n.endsWith('.json')).sort()) {
  test(`lxc_conf case ${name}`, async () => {
    const c = JSON.parse(await readFile(join(dir, name), 'utf8')) as Case;
    const conf = c.conf === undefined ? undefined : text(c.conf);
    const planned = new PlannedState();
    const { got, conn } = await plan(c, conf, planned);
    expectOutcome(got, c.expect, name);
    assert.not.ok(conn.commands.some((cmd) => /flock|pct set/.test(cmd)), `${name}: check mode wrote nothing`);
    if (got.status === 'changed') {
      const again = await plan(c, conf, planned);
      assert.is(again.got.status, 'ok', `${name}: planning again in the same check run is ok (${again.got.changes.map((x) => x.summary)})`);
    }
    const fileOnly = got.changes.length === 1 && got.diffs[0]?.path === `${c.args.conf_dir ?? '/etc/pve/lxc'}/${c.args.vmid}.conf`;
    if (got.status === 'changed' && fileOnly) {
      assert.is(got.diffs[0]!.before, conf, `${name}: diff before is the file as read`);
      const again = await plan(c, got.diffs[0]!.after);
      assert.is(again.got.status, 'ok', `${name}: planning the predicted file is ok (${again.got.changes.map((x) => x.summary)})`);
    }
  });
}

test('the containers of one task ask their node once: /proc/devices and the device modes are shared per task, not per run', async () => {
  const conf = 'arch: amd64\nhostname: gpu-worker\n';
  const confs = Object.fromEntries([901, 902, 903].map((v) => [`/etc/pve/lxc/${v}.conf`, conf]));
  const conn = new FixtureConnection('pve1', [
    { match: '^dpkg-query ', stdout: '6.0.9' },
    { match: "^sh -c 'for p", stdout: '666 /dev/nvidia0\n666 /dev/nvidiactl\n666 /dev/nvidia-uvm\n666 /dev/nvidia-uvm-tools\n' },
    ...DEFAULTS,
  ], confs);
  const asked = (what: RegExp): number => conn.commands.filter((c) => what.test(c)).length;
  const task = (table: Map<string, Promise<unknown>>) => Promise.all([901, 902, 903].map((vmid) => runModule(lxcConf,
    { vmid, gpu_assignment: '0', style: 'devN', include_caps: false },
    { ...moduleContext({ check: true }), host: 'pve1', conn, oncePerTask: sharedAnswers(table) })));
  const first = await task(new Map());
  assert.equal(first.map((r) => r.status), ['changed', 'changed', 'changed']);
  assert.equal([asked(/^cat \/proc\/devices$/), asked(/^sh -c 'for p/)], [1, 1], 'one task: asked once for three containers');
  await task(new Map());
  assert.equal([asked(/^cat \/proc\/devices$/), asked(/^sh -c 'for p/)], [2, 2], 'the next task asks again');
});

test.run();
