import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJumpHop, resolveSshConfig, splitDirective } from '../../../interpreter/connection/ssh-config.js';
import { sshSettingsFor } from '../../../interpreter/connection/pool.js';

const test = suite('ssh_config');

const scratch = mkdtempSync(join(tmpdir(), 'phoenix-sshcfg-'));
test.after(() => rmSync(scratch, { recursive: true, force: true }));

function home(config: string, extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(scratch, 'home-'));
  mkdirSync(join(dir, '.ssh'));
  writeFileSync(join(dir, '.ssh', 'config'), config);
  for (const [name, text] of Object.entries(extra)) writeFileSync(join(dir, '.ssh', name), text);
  return dir;
}

const CONFIG = `
# global defaults come first only if written first
IdentityFile ~/.ssh/global_key
Host pve1 pve1.lab
  HostName 10.0.0.11
  User admin
  Port=2222
  IdentityFile ~/.ssh/pve_%h_%r
  ProxyJump bastion

Host *.lab !secret.lab
  User labuser
  ServerAliveInterval 30

Host pve?
  User never-wins-for-pve1
  HostName %h.example.net

Host "quoted host"
  User quoted

Host *
  User fallback
  Port 22
  StrictHostKeyChecking accept-new
  UserKnownHostsFile ~/.ssh/kh_custom
`;

test('first match wins per key; IdentityFile accumulates with tokens expanded', () => {
  const dir = home(CONFIG);
  const pve1 = resolveSshConfig('pve1', { home: dir, localUser: 'me' });
  assert.is(pve1.hostName, '10.0.0.11');
  assert.is(pve1.user, 'admin');
  assert.is(pve1.port, 2222);
  assert.equal(pve1.identityFiles, [join(dir, '.ssh/global_key'), join(dir, '.ssh/pve_10.0.0.11_admin')]);
  assert.equal(pve1.proxyJump, ['bastion']);
  assert.is(pve1.strictHostKeyChecking, 'accept-new');
  assert.is(pve1.userKnownHostsFile, join(dir, '.ssh/kh_custom'));
});

test('globs, ? and negation', () => {
  const dir = home(CONFIG);
  assert.is(resolveSshConfig('db.lab', { home: dir }).user, 'labuser');
  assert.is(resolveSshConfig('db.lab', { home: dir }).serverAliveIntervalSec, 30);
  assert.is(resolveSshConfig('secret.lab', { home: dir }).user, 'fallback');
  assert.is(resolveSshConfig('pve2', { home: dir }).hostName, 'pve2.example.net');
  assert.is(resolveSshConfig('pve2', { home: dir }).user, 'never-wins-for-pve1');
  assert.is(resolveSshConfig('PVE2', { home: dir }).hostName, undefined, 'Host patterns are case-sensitive (ssh -G agrees)');
  assert.is(resolveSshConfig('unrelated', { home: dir }).hostName, undefined);
  assert.is(resolveSshConfig('unrelated', { home: dir }).port, 22);
});

test('Include (relative to ~/.ssh, with a glob) applies inside the including Host only', () => {
  const dir = home('Host inc\n  Include conf.d/*.conf\nHost *\n  User last\n');
  mkdirSync(join(dir, '.ssh', 'conf.d'));
  writeFileSync(join(dir, '.ssh', 'conf.d', 'a.conf'), 'HostName included.example\nPort 2200\n');
  assert.is(resolveSshConfig('inc', { home: dir }).hostName, 'included.example');
  assert.is(resolveSshConfig('inc', { home: dir }).port, 2200);
  assert.is(resolveSshConfig('other', { home: dir }).hostName, undefined);
});

test('Match all and Match host; a missing file is an empty config', () => {
  const dir = home('Match host m*\n  User matched\nMatch exec "true"\n  User never\nMatch all\n  Port 2022\n');
  assert.is(resolveSshConfig('mhost', { home: dir }).user, 'matched');
  assert.is(resolveSshConfig('x', { home: dir }).user, undefined);
  assert.is(resolveSshConfig('x', { home: dir }).port, 2022);
  assert.equal(resolveSshConfig('x', { file: join(dir, 'none') }).identityFiles, []);
});

/** What the real OpenSSH client resolves (`ssh -G -F file host`), for the keys phoenix uses. */
function opensshResolves(file: string, host: string): Record<string, string[]> {
  const out = execFileSync('ssh', ['-G', '-F', file, host], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const keys: Record<string, string[]> = {};
  for (const line of out.split('\n')) {
    const [key, ...rest] = line.split(' ');
    if (['hostname', 'user', 'port', 'identityfile', 'proxyjump'].includes(key)) (keys[key] ??= []).push(rest.join(' '));
  }
  return keys;
}

test('agrees with `ssh -G` (the real OpenSSH client) on Host/Match/Include/negation cases', () => {
  const dir = mkdtempSync(join(scratch, 'oracle-'));
  // The include scenario of OpenSSH's own regress/cfginclude.sh, with absolute paths.
  const inc = (n: number, body: string): void => writeFileSync(join(dir, `inc.${n}`), body);
  inc(0, 'Match host xxxxxx\n');
  inc(1, 'Match host a\n Hostname aaa\nMatch host b\n Hostname bbb\nMatch host c\n Hostname ccc\nHost d\n Hostname ddd\n' +
    'Host e\n Hostname eee\nHost f\n Hostname fff\n');
  inc(2, 'Match host a\n Hostname aaaa\nMatch host b\n Hostname bbbb\nMatch host c\n Hostname cccc\nHost d\n Hostname dddd\n' +
    'Host e\n Hostname eeee\nHost f\n Hostname ffff\nMatch all\n Hostname xxxx\n');
  const all = join(dir, 'inc.*');
  const config = join(dir, 'config');
  writeFileSync(config, [
    'Match host a', ' Hostname aa', 'Match host b', ' Hostname bb', ` Include ${all}`, 'Match host c', ` Include ${all}`,
    ' Hostname cc', 'Match host m', ` Include ${all}`, 'Host d', ' Hostname dd', 'Host e', ' Hostname ee', ` Include ${all}`,
    'Host f', ` Include ${all}`, ' Hostname ff', 'Host n', ` Include ${all}`,
    'Host pve? !pve9 "quoted one"', ' User admin', ' Port=2201', ' IdentityFile /keys/pve', ' ProxyJump root@bastion:2222,hop2',
    'Host *.lab', ' User lab', ' IdentityFile /keys/lab', 'Host *', ' IdentityFile /keys/default', '',
  ].join('\n'));
  for (const host of ['a', 'b', 'c', 'd', 'e', 'f', 'm', 'n', 'x', 'pve1', 'pve9', 'quoted', 'db.lab', 'PVE2']) {
    const ours = resolveSshConfig(host, { file: config, home: dir });
    const theirs = opensshResolves(config, host);
    const label = `host ${host}`;
    assert.is(ours.hostName ?? host.toLowerCase(), theirs.hostname[0], label);
    assert.is(ours.user ?? userInfo().username, theirs.user[0], label);
    assert.is(String(ours.port ?? 22), theirs.port[0], label);
    assert.equal(ours.identityFiles, theirs.identityfile, label);
    assert.equal(ours.proxyJump?.join(','), theirs.proxyjump?.[0], label);
  }
});

test('directive syntax: Key=value, quotes, trailing comments', () => {
  assert.equal(splitDirective('  Port=22'), { key: 'port', args: ['22'] });
  assert.equal(splitDirective('IdentityFile "/a b/key" # mine'), { key: 'identityfile', args: ['/a b/key'] });
  assert.is(splitDirective('# only a comment'), undefined);
});

test('ProxyJump hops: user@host:port, [v6]:port', () => {
  assert.equal(parseJumpHop('root@bastion:2200'), { user: 'root', host: 'bastion', port: 2200 });
  assert.equal(parseJumpHop('bastion'), { user: undefined, host: 'bastion' });
  assert.equal(parseJumpHop('[fe80::1]:22'), { user: undefined, host: 'fe80::1', port: 22 });
});

test('settings: inventory vars override ssh_config, which overrides defaults; jumps resolved through config', () => {
  const dir = home(`Host bastion\n  HostName 192.0.2.1\n  User jumper\n${CONFIG}`);
  const fromConfig = sshSettingsFor('pve1', {}, { home: dir, env: { SSH_AUTH_SOCK: '/agent.sock' } });
  assert.is(fromConfig.address, '10.0.0.11');
  assert.is(fromConfig.user, 'admin');
  assert.is(fromConfig.port, 2222);
  assert.is(fromConfig.agent, '/agent.sock');
  assert.is(fromConfig.policy, 'accept-new');
  assert.is(fromConfig.knownHostsFile, join(dir, '.ssh/kh_custom'));
  assert.equal(fromConfig.jumps.map((j) => [j.address, j.user, j.port]), [['192.0.2.1', 'jumper', 22]]);
  const vars = {
    ansible_host: 'pve1', ansible_user: 'root', ansible_port: 22, ansible_ssh_private_key_file: '~/k',
    phoenix_known_hosts_file: '/kh', phoenix_host_key_checking: 'strict', ansible_become: true,
  };
  const overridden = sshSettingsFor('node-a', vars, { home: dir, env: {} });
  assert.is(overridden.address, '10.0.0.11', 'ssh_config applies to ansible_host');
  assert.is(overridden.user, 'root');
  assert.is(overridden.port, 22);
  assert.is(overridden.identityFiles[0], join(dir, 'k'));
  assert.equal(overridden.requiredKeys, [join(dir, 'k')]);
  assert.is(overridden.knownHostsFile, '/kh');
  assert.is(overridden.policy, 'strict');
  assert.is(overridden.agent, undefined);
  assert.equal(overridden.become, { user: 'root', password: undefined, byDefault: true });
  const off = sshSettingsFor('x', { ansible_host_key_checking: false }, { home: dir, env: {}, policy: 'strict' });
  assert.is(off.policy, 'off');
  assert.throws(() => sshSettingsFor('x', { phoenix_host_key_checking: 'maybe' }, { home: dir }), /strict, accept-new or off/);
});

test.run();
