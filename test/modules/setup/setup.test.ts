import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../../interpreter/cli.js';
import { factsFromProbe, parseOsRelease, setup } from '../../../modules/setup.js';
import { moduleContext, runModule } from '../../support/module-context.js';

/** What the shell itself makes of this machine's /etc/os-release (the file is shell syntax). */
function shellOsRelease(key: string): string {
  return execFileSync('sh', ['-c', `. /etc/os-release; printf %s "$${key}"`], { encoding: 'utf8' });
}

test('on this machine: the facts are what os-release, debian_version and uname say, with and without the ansible_ prefix', async () => {
  const got = await runModule(setup, {}, moduleContext());
  assert.is(got.status, 'ok', got.msg);
  assert.equal(got.changes, []);
  const facts = got.facts ?? {};
  const id = shellOsRelease('ID');
  assert.is(facts.ansible_distribution_release, shellOsRelease('VERSION_CODENAME'));
  assert.is(facts.ansible_distribution_major_version, shellOsRelease('VERSION_ID').split('.')[0]);
  if (id === 'debian') {
    assert.is(facts.ansible_distribution, 'Debian');
    assert.is(facts.ansible_distribution_version, readFileSync('/etc/debian_version', 'utf8').trim());
  }
  assert.is(facts.ansible_os_family, 'Debian');
  assert.is(facts.ansible_kernel, release());
  assert.is(facts.ansible_architecture, execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim());
  assert.is(facts.ansible_hostname, hostname().split('.')[0]);
  const plain = facts.ansible_facts as Record<string, unknown>;
  assert.is(plain.distribution_release, facts.ansible_distribution_release);
  assert.match(got.reason ?? '', `${facts.ansible_distribution} ${facts.ansible_distribution_version} (${facts.ansible_distribution_release}), kernel ${release()}`);
});

test('os-release quoting: double quotes with shell escapes, single quotes, bare words; comments and junk ignored', () => {
  const text = ['# a comment', 'NAME="Debian GNU/Linux"', "PRETTY='x y'", 'ID=debian', 'QUOTED="a \\"b\\" \\$c"', 'not a line', ''].join('\n');
  assert.equal(parseOsRelease(text), { NAME: 'Debian GNU/Linux', PRETTY: 'x y', ID: 'debian', QUOTED: 'a "b" $c' });
});

/** Debian 13's os-release as it ships (the VE 9 lab node's root has this file). */
const TRIXIE = 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nNAME="Debian GNU/Linux"\nVERSION_ID="13"\nVERSION="13 (trixie)"\n' +
  'VERSION_CODENAME=trixie\nDEBIAN_VERSION_FULL=13.8\nID=debian\n';
/** Ubuntu 24.04's (the containers' OS in the example configuration): no debian_version of its own number. */
const NOBLE = 'PRETTY_NAME="Ubuntu 24.04.3 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nVERSION="24.04.3 LTS (Noble Numbat)"\n' +
  'VERSION_CODENAME=noble\nID=ubuntu\nID_LIKE=debian\nUBUNTU_CODENAME=noble\n';

test('Debian 13 and Ubuntu 24.04 give the names Ansible gives', () => {
  const probe = (os: string, debianVersion: string) =>
    `${os}@@phoenix@@debian_version\n${debianVersion}\n@@phoenix@@uname\n6.14.8-2-pve\nx86_64\n@@phoenix@@hostname\npve9.example\n`;
  assert.equal(factsFromProbe(probe(TRIXIE, '13.8')), {
    distribution: 'Debian', distribution_release: 'trixie', distribution_version: '13.8', distribution_major_version: '13',
    os_family: 'Debian', system: 'Linux', kernel: '6.14.8-2-pve', architecture: 'x86_64', nodename: 'pve9.example',
    hostname: 'pve9', pkg_mgr: 'apt',
  });
  const noble = factsFromProbe(probe(NOBLE, 'trixie/sid'));
  assert.equal([noble.distribution, noble.distribution_release, noble.distribution_version, noble.distribution_major_version, noble.os_family],
    ['Ubuntu', 'noble', '24.04', '24', 'Debian']);
});

test('a host without os-release fails with a message', () => {
  assert.throws(() => factsFromProbe('@@phoenix@@uname\n6.1\nx86_64\n'), /no \/etc\/os-release/);
});

test('gather_facts: true runs setup first (also in --check and under --tags), so tasks can branch on the release', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-setup-'));
  try {
    writeFileSync(join(dir, 'inventory.yml'), 'all:\n  hosts:\n    box:\n      ansible_connection: local\n');
    writeFileSync(join(dir, 'playbook.yml'), [
      '- hosts: all', '  gather_facts: true', '  tasks:',
      '    - name: release', '      tags: [x]', '      copy:', `        dest: ${join(dir, 'out')}`,
      '        content: "{{ ansible_distribution }} {{ ansible_distribution_major_version }} {{ ansible_facts.distribution_release }}"', '',
    ].join('\n'));
    let out = '';
    const sink = { write: (s: string) => { out += s; } };
    for (const args of [['--check'], ['--tags', 'x']]) {
      out = '';
      const code = await main(['run', join(dir, 'playbook.yml'), '-i', join(dir, 'inventory.yml'), '--json', ...args], { stdout: sink, stderr: sink });
      assert.is(code, 0, out);
      const doc = JSON.parse(out) as { plays: Array<{ tasks: Array<{ task: { name: string; module: string }; hosts: Record<string, { status: string }> }> }> };
      const [gather, copied] = doc.plays[0]!.tasks;
      assert.equal([gather!.task.name, gather!.task.module, gather!.hosts.box!.status], ['Gathering Facts', 'setup', 'ok']);
      assert.is(copied!.hosts.box!.status, 'changed');
    }
    const major = shellOsRelease('VERSION_ID').split('.')[0];
    assert.ok(readFileSync(join(dir, 'out'), 'utf8').endsWith(` ${major} ${shellOsRelease('VERSION_CODENAME')}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
