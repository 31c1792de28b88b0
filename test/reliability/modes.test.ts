import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../interpreter/cli.js';
import { LocalConnection } from '../../interpreter/connection/local.js';
import { PctConnection } from '../../interpreter/connection/pct.js';
import { shellCommand } from '../../interpreter/connection/quote.js';
import { copy } from '../../modules/copy.js';
import { file } from '../../modules/file.js';
import { lineinfile } from '../../modules/lineinfile.js';
import { template } from '../../modules/template.js';
import { moduleContext, runModule } from '../support/module-context.js';
import { startSshd, TEST_USER } from '../support/sshd.js';
import { poolFor, sshVars, tempHome } from '../interpreter/connection/fixture.js';
import { StubHost } from './hostile.js';

/**
 * Files phoenix creates get explicit modes, whatever the umask: 0644 for files and 0755 for directories when the
 * task names none (Ansible's usual result), 0600 when the content holds a secret or the task is no_log, the mode
 * asked for otherwise; a replaced file keeps its mode. Node-side temp files are 0600.
 */
let dir = '';
const cwd = process.cwd();
const umask = process.umask();

test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'phoenix-modes-'));
});
test.after.each(() => {
  process.umask(umask);
  process.chdir(cwd);
  rmSync(dir, { recursive: true, force: true });
});

const modeOf = (path: string) => (statSync(path).mode & 0o7777).toString(8).padStart(4, '0');

for (const mask of [0o000, 0o022, 0o077]) {
  test(`umask ${mask.toString(8).padStart(4, '0')}: copy, template, lineinfile, file and put create 0644 files and 0755 directories`, async () => {
    process.umask(mask);
    const tpl = join(dir, 'tpl.j2');
    writeFileSync(tpl, 'x={{ x }}\n');
    const ctx = () => moduleContext({ vars: { x: 1 } });
    await runModule(copy, { dest: join(dir, 'copied'), content: 'a\n' }, ctx());
    await runModule(template, { src: tpl, dest: join(dir, 'templated') }, ctx());
    await runModule(lineinfile, { path: join(dir, 'lined'), line: 'a', create: true }, ctx());
    await runModule(file, { path: join(dir, 'touched'), state: 'touch' }, ctx());
    await runModule(file, { path: join(dir, 'made'), state: 'directory' }, ctx());
    await new LocalConnection('localhost').put('a\n', join(dir, 'put'));
    const modes = Object.fromEntries(['copied', 'templated', 'lined', 'touched', 'made', 'put'].map((n) => [n, modeOf(join(dir, n))]));
    assert.equal(modes, { copied: '0644', templated: '0644', lined: '0644', touched: '0644', made: '0755', put: '0644' });
  });
}

test('an asked mode is kept exactly, and a replaced file keeps its mode', async () => {
  process.umask(0o000);
  await runModule(copy, { dest: join(dir, 'asked'), content: 'a\n', mode: '0640' }, moduleContext());
  assert.is(modeOf(join(dir, 'asked')), '0640');
  writeFileSync(join(dir, 'existing'), 'old\n', { mode: 0o600 });
  await runModule(copy, { dest: join(dir, 'existing'), content: 'new\n' }, moduleContext());
  assert.is(modeOf(join(dir, 'existing')), '0600');
});

test('files holding a secret, or written by a no_log task, are 0600 unless a mode is asked for', async () => {
  process.umask(0o000);
  mkdirSync(join(dir, 'group_vars', 'all'), { recursive: true });
  writeFileSync(join(dir, 'group_vars', 'all', 'secrets.yml'), 'db_password: Hunter-Two-22\n');
  writeFileSync(join(dir, 'inventory.yml'), 'all:\n  hosts:\n    box:\n      ansible_connection: local\n');
  writeFileSync(join(dir, 'app.conf.j2'), 'password={{ db_password }}\n');
  writeFileSync(join(dir, 'playbook.yml'), `- hosts: all
  gather_facts: false
  tasks:
    - copy: { dest: "${dir}/secret.conf", content: "pw={{ db_password }}\\n" }
    - template: { src: app.conf.j2, dest: "${dir}/templated.conf" }
    - copy: { dest: "${dir}/nolog.conf", content: "nothing secret\\n" }
      no_log: true
    - copy: { dest: "${dir}/plain.conf", content: "nothing secret\\n" }
    - copy: { dest: "${dir}/asked.conf", content: "pw={{ db_password }}\\n", mode: "0640" }
`);
  process.chdir(dir);
  const sink = { write: () => undefined };
  assert.is(await main(['run', 'playbook.yml', '-i', 'inventory.yml'], { stdout: sink, stderr: sink }), 0);
  const modes = Object.fromEntries(['secret', 'templated', 'nolog', 'plain', 'asked'].map((n) => [n, modeOf(join(dir, `${n}.conf`))]));
  assert.equal(modes, { secret: '0600', templated: '0600', nolog: '0600', plain: '0644', asked: '0640' });
});

test('pct put: the node-side copy is 0600 while it exists', async () => {
  process.umask(0o000);
  const host = new StubHost(dir);
  const before = new Set(readdirSync('/tmp'));
  await new PctConnection('ct901', { node: host, nodeName: 'pve', vmid: 901 }).put('secret\n', '/etc/app.conf');
  // The stubbed node `rm` leaves the node copy behind, so its mode can be read.
  const left = readdirSync('/tmp').filter((n) => !before.has(n) && n.startsWith('.phoenix-pct-901-'));
  assert.is(left.length, 1);
  assert.is(modeOf(join('/tmp', left[0])), '0600');
  rmSync(join('/tmp', left[0]));
});

test('ssh put: 0644 by default, the asked mode otherwise, also through sudo; test keys are 0600', async () => {
  const sshd = await startSshd();
  const home = tempHome([sshd.knownHostsLine]);
  const pool = poolFor({ root: sshVars(sshd, 'root'), user: sshVars(sshd, TEST_USER, { ansible_become: true }) }, home);
  try {
    const root = await pool.get('root');
    const target = join(dir, 'remote');
    mkdirSync(target, { mode: 0o777 });
    await root.run(shellCommand('chmod', '1777', target));
    await root.run('umask 000');
    await root.put('a\n', join(target, 'default'));
    await root.put('a\n', join(target, 'asked'), { mode: 0o600 });
    const user = await pool.get('user');
    await user.put('a\n', join(target, 'sudo-default'), { become: true } as never);
    await user.put('a\n', join(target, 'sudo-asked'), { mode: 0o640, become: true } as never);
    const modes = Object.fromEntries(['default', 'asked', 'sudo-default', 'sudo-asked'].map((n) => [n, modeOf(join(target, n))]));
    assert.equal(modes, { default: '0644', asked: '0600', 'sudo-default': '0644', 'sudo-asked': '0640' });
    assert.is(modeOf(sshd.userKey.privatePath), '0600');
    assert.is(modeOf(sshd.hostKeyPath), '0600');
  } finally {
    await pool.closeAll();
    await sshd.cleanup();
    rmSync(home, { recursive: true, force: true });
  }
});

test.run();
