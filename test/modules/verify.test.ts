import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { verify } from '../../modules/verify.js';
import { FixtureConnection, type FixtureResponse } from '../support/fixture-connection.js';
import { moduleContext, runModule, type Outcome } from '../support/module-context.js';

/**
 * One case per test/modules/verify/<case>.json: the host's (and its node's) captured outputs in, status, reason or
 * failure parts, data and facts out. `responses` come before the real H100 host's outputs (DEFAULTS), so a case
 * states only what differs from that host. Each case runs in check mode and in normal mode: same outcome, never changed.
 */
interface Case {
  description: string;
  args: Record<string, unknown>;
  vars?: Record<string, unknown>;
  responses?: FixtureResponse[];
  node_responses?: FixtureResponse[];
  expect: {
    status: 'ok' | 'failed' | 'skipped';
    reason?: string;
    msg?: string[];
    /** How many problems (data.problems; the message joins them). */
    problems?: number;
    data?: Record<string, unknown>;
    facts?: Record<string, unknown>;
  };
}

const dir = join(dirname(fileURLToPath(import.meta.url)), '../../../test/modules/verify');
const H100 = 'shared:fixtures/gpu-h100-ubuntu2404/';

const ACCESS = "^set -- /dev/nvidia\\* /dev/nvidia-caps/\\*\nnl=.*\nfor p; do\nr=-; w=-; \\[ -r \"\\$p\" \\] && r=r; \\[ -w \"\\$p\" \\] && w=w\n";

const DEFAULTS: FixtureResponse[] = [
  { match: '^nvidia-smi --query-gpu=index,name,uuid,driver_version,pci.bus_id --format=csv,noheader$', stdoutFile: `${H100}nvidia-smi-query-gpu.csv` },
  { match: '^cat /proc/driver/nvidia/version$', stdoutFile: `${H100}proc-driver-nvidia-version.txt` },
  { match: "^ls -l /dev/nvidia\\* /dev/nvidia-caps/ 2>/dev/null$", stdoutFile: `${H100}ls-l-dev-nvidia.txt` },
  // The access probe as the H100 host's root sees its nodes (root may read and write any device node there).
  { match: ACCESS, stdoutFile: 'file:test/modules/verify/outputs/access-host-root.txt' },
  { match: '^command -v nvcc \\|\\| ', stdout: '/usr/local/cuda/bin/nvcc\n' },
  { match: '^/usr/local/cuda/bin/nvcc --version$', stdoutFile: `${H100}nvcc-version.txt` },
];
const NODE_DEFAULTS: FixtureResponse[] = [
  { match: '^cat /sys/module/nvidia/version ', stdoutFile: `${H100}sys-module-nvidia-version.txt` },
];

async function run(c: Case, check: boolean): Promise<{ got: Outcome; node: FixtureConnection }> {
  const conn = new FixtureConnection('ct901', [...(c.responses ?? []), ...DEFAULTS]);
  const node = new FixtureConnection('pve1', [...(c.node_responses ?? []), ...NODE_DEFAULTS]);
  const base = moduleContext({ check, vars: c.vars ?? {} });
  const ctx = {
    ...base,
    host: 'ct901',
    conn,
    async connect(name: string) {
      assert.is(name, c.vars?.proxmox_node, 'verify connects to the proxmox_node only');
      return node;
    },
  };
  return { got: await runModule(verify, c.args, ctx), node };
}

function expectOutcome(got: Outcome, want: Case['expect'], label: string): void {
  assert.is(got.status, want.status, `${label}: status (msg: ${got.msg}, reason: ${got.reason})`);
  assert.is(got.changes.length, 0, `${label}: never changed`);
  if (got.status === 'ok') assert.ok(got.reason, `${label}: ok has a reason`);
  if (want.reason !== undefined) assert.is(got.reason, want.reason, `${label}: reason`);
  for (const part of want.msg ?? []) assert.ok(got.msg?.includes(part), `${label}: msg has "${part}": ${got.msg}`);
  if (want.problems !== undefined) assert.is((got.data.problems as string[]).length, want.problems, `${label}: problems in ${got.msg}`);
  for (const [key, value] of Object.entries(want.data ?? {})) assert.equal(got.data[key], value, `${label}: data.${key}`);
  for (const [key, value] of Object.entries(want.facts ?? {})) assert.equal(got.facts?.[key], value, `${label}: facts.${key}`);
}

for (const name of (await readdir(dir)).filter((n) => n.endsWith('.json')).sort()) {
  test(`verify case ${name}`, async () => {
    const c = JSON.parse(await readFile(join(dir, name), 'utf8')) as Case;
    const checked = await run(c, true);
    expectOutcome(checked.got, c.expect, `${name} (check)`);
    const { got, node } = await run(c, false);
    expectOutcome(got, c.expect, name);
    if (!c.vars?.proxmox_node) assert.is(node.commands.length, 0, `${name}: no node to ask`);
  });
}

test.run();
