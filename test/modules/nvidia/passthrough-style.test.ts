import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chooseStyle, probePveContainerVersion, styleOnNode } from '../../../modules/nvidia/passthrough-style.js';
import { ModuleFailure } from '../../../modules/types.js';
import { FixtureConnection } from '../../support/fixture-connection.js';
import { connectionFor } from '../../../interpreter/executor/context.js';

const DPKG = "^dpkg-query -W '-f=\\$\\{Version\\}' pve-container$";

test('auto: devN from pve-container 5.0.7 (PVE 8.1) on, raw before and where dpkg does not know it', () => {
  assert.equal(chooseStyle('auto', '5.0.7'), { style: 'devN', reason: 'auto chose devN: pve-container 5.0.7 >= 5.0.7 (PVE 8.1)' });
  assert.is(chooseStyle('auto', '6.0.9').style, 'devN');
  assert.is(chooseStyle('auto', '5.0.10').style, 'devN', 'compared as versions, not as text');
  assert.equal(chooseStyle('auto', '5.0.6'), { style: 'raw', reason: 'auto chose raw: pve-container 5.0.6 < 5.0.7 (devN came with PVE 8.1)' });
  assert.is(chooseStyle('auto', '4.4.6').style, 'raw');
  assert.equal(chooseStyle('auto', undefined), { style: 'raw', reason: 'auto chose raw: dpkg does not know pve-container' });
});

test('explicit styles: raw anywhere; devN refused on an older node, left to pct set where dpkg cannot tell', () => {
  assert.equal(chooseStyle('raw', '8.0.0'), { style: 'raw', reason: 'raw as configured' });
  assert.equal(chooseStyle('devN', '5.0.7'), { style: 'devN', reason: 'devN as configured (pve-container 5.0.7)' });
  assert.equal(chooseStyle('devN', undefined), { style: 'devN', reason: 'devN as configured' });
  assert.throws(() => chooseStyle('devN', '5.0.6'), (e: unknown) => e instanceof ModuleFailure && /needs pve-container >= 5\.0\.7.*has 5\.0\.6/.test(e.message));
});

test('the version comes from dpkg (Debian revision dropped); a package dpkg does not know is undefined', async () => {
  assert.is(await probePveContainerVersion(new FixtureConnection('pve1', [{ match: DPKG, stdout: '5.2.0~bpo1' }])), '5.2.0');
  const none = new FixtureConnection('pve1', [{ match: DPKG, rc: 1, stderr: 'dpkg-query: no packages found matching pve-container\n' }]);
  assert.is(await probePveContainerVersion(none), undefined);
  const notInstalled = new FixtureConnection('pve1', [{ match: DPKG, rc: 1, stdout: '' }]);
  assert.is((await styleOnNode(notInstalled, 'auto')).style, 'raw');
});

test('one node connection is asked once, however many container tasks ask', async () => {
  const conn = new FixtureConnection('pve1', [{ match: DPKG, stdout: '6.0.9' }]);
  const styles = await Promise.all([1, 2, 3].map(() => styleOnNode(conn, 'auto')));
  assert.equal(styles.map((s) => s.style), ['devN', 'devN', 'devN']);
  assert.is(conn.commands.length, 1);
});

test('each task wraps the node connection (become, environment, Ctrl-C): the wrappers share the one answer', async () => {
  const conn = new FixtureConnection('pve1', [{ match: DPKG, stdout: '6.0.9' }]);
  const tasks = [1, 2, 3].map(() => connectionFor(conn, true, {}, undefined, new AbortController().signal));
  assert.ok(tasks[0] !== tasks[1]);
  for (const task of tasks) assert.is((await styleOnNode(task, 'auto')).style, 'devN');
  assert.is(conn.commands.length, 1, 'asked once per node, not once per container task');
});

test('style raw asks nothing on the node', async () => {
  const conn = new FixtureConnection('pve1', []);
  assert.is((await styleOnNode(conn, 'raw')).style, 'raw');
  assert.equal(conn.commands, []);
});

test.run();
