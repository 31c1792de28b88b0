import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { apt } from '../../../modules/apt.js';
import { FixtureConnection, type FixtureResponse } from '../../support/fixture-connection.js';
import { moduleContext, runModule, type Outcome } from '../../support/module-context.js';

/**
 * apt planning as data: one case per `cases/<case>.json`, in check mode over a {@link FixtureConnection} that answers
 * with apt's and dpkg's captured outputs (C locale, captured from real runs in real-apt.test.ts's namespace). These
 * are the host states a test cannot cheaply make for real: half-configured packages, config-files leftovers, a
 * `.run` driver's marks, a repository whose toolkit depends on a driver.
 *
 * responses: regex on the command line → stdout/rc/stderr. expect: status, reason, msg, changes (summaries in
 * order), commands (how many commands planning ran).
 */
interface Case {
  args: Record<string, unknown>;
  vars?: Record<string, unknown>;
  responses: FixtureResponse[];
  expect: { status: Outcome['status']; reason?: string; msg?: string; changes?: string[]; commands?: number };
}

const dir = join(dirname(fileURLToPath(import.meta.url)), '../../../../test/modules/apt/cases');

for (const file of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
  test(`apt case ${file}`, async () => {
    const c = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Case;
    const conn = new FixtureConnection('ct101', c.responses);
    const got = await runModule(apt, c.args, { ...moduleContext({ check: true, vars: c.vars }), conn });
    assert.is(got.status, c.expect.status, `${file}: status (msg: ${got.msg}, reason: ${got.reason})`);
    if (got.status === 'ok') assert.ok(got.reason, `${file}: an ok result has a reason`);
    if (c.expect.reason !== undefined) assert.is(got.reason, c.expect.reason, `${file}: reason`);
    if (c.expect.msg !== undefined) assert.is(got.msg, c.expect.msg, `${file}: msg`);
    if (c.expect.changes) assert.equal(got.changes.map((x) => x.summary), c.expect.changes, `${file}: changes`);
    if (c.expect.commands !== undefined) assert.is(conn.commands.length, c.expect.commands, `${file}: commands run`);
    assert.not.ok(conn.commands.some((cmd) => /apt-get (install|remove|update) (?!-s)/.test(cmd)), `${file}: check mode ran no apt-get action`);
  });
}

test.run();
