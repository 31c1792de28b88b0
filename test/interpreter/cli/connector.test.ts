import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createConnector } from '../../../interpreter/cli/connector.js';
import { countLog, startSshd, TEST_USER, type TestSshd } from '../../support/sshd.js';
import { sshVars, tempHome } from '../connection/fixture.js';

// The run's connector: hosts asked for at the same moment (forks) must share one pool, so a container's node
// connection is the node's own, and one connection per host holds for the whole run.
const test = suite('connector: one pool and one connection per host for a run (real sshd)');
let sshd: TestSshd;
let home: string;
const saved = { persist: process.env.PHOENIX_SSH_PERSIST, home: process.env.HOME };

test.before(async () => {
  sshd = await startSshd();
  home = tempHome([sshd.knownHostsLine]);
  process.env.PHOENIX_SSH_PERSIST = '0'; // no keeper: every login below is this run's own
  process.env.HOME = home;
});

test.after(async () => {
  process.env.PHOENIX_SSH_PERSIST = saved.persist;
  process.env.HOME = saved.home;
  await sshd.cleanup();
});

test('nodes and their containers asked for concurrently: one login per node, and one for the shells of its containers', async () => {
  const vars: Record<string, Record<string, unknown>> = {};
  for (const node of ['n1', 'n2', 'n3']) vars[node] = sshVars(sshd, TEST_USER);
  for (const [i, node] of ['n1', 'n1', 'n2', 'n3', 'n3'].entries()) {
    vars[`ct${900 + i}`] = { ansible_connection: 'pct', proxmox_node: node, proxmox_vmid: 900 + i, phoenix_pct_command: 'true' };
  }
  const inventory = { select: () => Object.keys(vars), vars: (h: string) => vars[h] ?? {}, magic: () => ({}) };
  const before = countLog(sshd.logFile, /Accepted publickey/);
  const connector = createConnector(inventory, {});
  const conns = await Promise.all(Object.keys(vars).reverse().map((h) => connector.connect(h)));
  assert.is(conns.length, 8);
  const outputs = await Promise.all(conns.slice(0, 3).map((c) => c.run('echo ok')));
  for (const out of outputs) assert.is(out.rc, 0);
  const logins = countLog(sshd.logFile, /Accepted publickey/) - before;
  await connector.closeAll(); // before asserting: with two pools, the connections left open would keep the process alive
  // n1, n2, n3, and a container-shell connection on n2 and n3, whose containers ran a command (ssh.ts shellHome).
  assert.is(logins, 3 + 2);
});

test.run();
