import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PlannedState } from '../../../interpreter/executor/planned-state.js';
import { apt } from '../../../modules/apt.js';
import { PLANNED_REPO } from '../../../modules/apt_repo.js';
import { FixtureConnection } from '../../support/fixture-connection.js';
import { moduleContext, runModule } from '../../support/module-context.js';

/**
 * Check mode after an apt_repo task that this run will apply first: the package lists do not know that repository
 * yet, so `apt-get install -s` would say "Unable to locate package"; apt predicts the install instead.
 */
const NOT_INSTALLED = { match: '^dpkg-query -W|^true', stdout: '@@now 1764000000\n@@stamp 1763990000\n' };
const UNKNOWN = { match: 'apt-get install -s', rc: 100, stderr: 'E: Unable to locate package nvidia-container-toolkit\n' };

function context(planned: PlannedState, check: boolean) {
  const conn = new FixtureConnection('localhost', [NOT_INSTALLED, UNKNOWN]);
  return { ctx: { ...moduleContext({ check }), conn, planned }, conn };
}

test('a repository planned on this host: the install is predicted without simulating', async () => {
  const planned = new PlannedState();
  planned.set(PLANNED_REPO, 'localhost', 'nvidia-container-toolkit');
  const { ctx, conn } = context(planned, true);
  const got = await runModule(apt, { name: ['nvidia-container-toolkit=1.17.8-1'] }, ctx);
  assert.is(got.status, 'changed', got.msg);
  assert.equal(got.changes.map((c) => c.summary), ['install nvidia-container-toolkit=1.17.8-1 (from repository nvidia-container-toolkit, which this run configures first)']);
  assert.not.ok(conn.commands.some((c) => c.includes('apt-get install -s')), 'no simulation');
});

test('no repository planned: apt\'s own error, as before', async () => {
  const { ctx } = context(new PlannedState(), true);
  const got = await runModule(apt, { name: 'nvidia-container-toolkit' }, ctx);
  assert.is(got.status, 'failed');
  assert.match(got.msg ?? '', 'E: Unable to locate package nvidia-container-toolkit');
});

test('another host\'s planned repository does not count', async () => {
  const planned = new PlannedState();
  planned.set(PLANNED_REPO, 'ct901', 'cuda');
  const { ctx } = context(planned, true);
  assert.is((await runModule(apt, { name: 'nvidia-container-toolkit' }, ctx)).status, 'failed');
});

test.run();
