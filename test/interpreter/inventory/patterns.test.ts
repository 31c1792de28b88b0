import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PhoenixError } from '../../../interpreter/errors.js';
import { limitHosts, selectHosts, splitHostPattern } from '../../../interpreter/inventory/index.js';
import { expected, fixture, loadClean } from './support.js';

/** `ansible -i lab/hosts.yml PATTERN [--limit LIMIT] --list-hosts`, recorded by record.sh from patterns.txt. */
const recorded = JSON.parse(expected('patterns.json')) as Record<string, string[]>;

for (const [key, hosts] of Object.entries(recorded)) {
  const [pattern, limit] = key.split('\t');
  test(`same hosts, same order as ansible: ${pattern}${limit === undefined ? '' : ` --limit ${limit}`}`, () => {
    const inv = loadClean(['lab/hosts.yml']);
    let got = selectHosts(inv, pattern, { exitCode: 4 });
    if (limit !== undefined) got = limitHosts(inv, got, limit, { cwd: fixture('') });
    assert.equal(got, hosts);
  });
}

test('a play whose hosts: is a YAML list, with and without --limit (ansible-playbook --list-hosts prints a set)', () => {
  const inv = loadClean(['lab/hosts.yml']);
  const play = ['lxc', '!gpu', 'proxmox'];
  const lines = (name: string) => expected(name).split('\n').filter(Boolean).sort();
  assert.equal([...selectHosts(inv, play)].sort(), lines('play-list-hosts.txt'));
  assert.equal(limitHosts(inv, selectHosts(inv, play), 'ct9*:pve2').sort(), lines('play-list-hosts.limit.txt'));
});

test('splitting: commas, colons outside brackets, addresses kept whole', () => {
  assert.equal(splitHostPattern('a, b ,c'), ['a', 'b', 'c']);
  assert.equal(splitHostPattern('a:&b:!c'), ['a', '&b', '!c']);
  assert.equal(splitHostPattern('web[1:3]'), ['web[1:3]']);
  assert.equal(splitHostPattern('a:web[1:3]'), ['a', 'web[1:3]']);
  assert.equal(splitHostPattern('fe80::1'), ['fe80::1']);
  assert.equal(splitHostPattern('pve1,'), ['pve1']);
  assert.equal(splitHostPattern(['a:b', 'c']), ['a', 'b', 'c']);
});

function patternError(fn: () => unknown): PhoenixError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PhoenixError) return e;
    throw e;
  }
  throw new Error('expected a PhoenixError');
}

for (const bad of ['', '  ', 'a,,b', ',a', 'web::db', 'a:', ':a', 'web[1', 'a:web[', '!', '&', '!&a', 'a:!', '~', '~(', '~[a', 'gpu:~*x']) {
  test(`malformed pattern ${JSON.stringify(bad)} is E_PATTERN`, () => {
    const inv = loadClean(['lab/hosts.yml']);
    const error = patternError(() => selectHosts(inv, bad));
    assert.is(error.code, 'E_PATTERN');
  });
}

test('the exit code of a pattern error is the caller\'s: 1 for --limit (default), 4 for a play', () => {
  const inv = loadClean(['lab/hosts.yml']);
  assert.is(patternError(() => selectHosts(inv, 'a,,b')).exitCode, 1);
  assert.is(patternError(() => selectHosts(inv, 'a,,b', { exitCode: 4 })).exitCode, 4);
  assert.is(patternError(() => limitHosts(inv, ['pve1'], '~(', { exitCode: 1 })).exitCode, 1);
});

test('@file: a missing limit file is E_LIMIT_FILE; lines are patterns', () => {
  const inv = loadClean(['lab/hosts.yml']);
  const error = patternError(() => selectHosts(inv, '@nope.txt', { cwd: fixture('') }));
  assert.is(error.code, 'E_LIMIT_FILE');
  assert.equal(selectHosts(inv, '@lab/limit.txt', { cwd: fixture('') }), ['ct901', 'pve1', 'web1.example.com', 'web2.example.com', 'web10.example.com']);
});

test('implicit localhost: only when named and absent, never in all; an inventory localhost-like host stands for it', () => {
  const inv = loadClean(['lab/hosts.yml']);
  assert.equal(selectHosts(inv, 'localhost'), ['localhost']);
  assert.ok(inv.implicitHosts.has('localhost'));
  assert.not.ok(selectHosts(inv, 'all').includes('localhost'));
  assert.equal(selectHosts(inv, 'all:!bastion:&localhost'), []);
  const withLocal = loadClean(['lab/hosts.yml']);
  withLocal.hosts.set('127.0.0.1', { name: '127.0.0.1', vars: {}, varPositions: {}, groups: [] });
  assert.equal(selectHosts(withLocal, 'localhost'), ['127.0.0.1']);
});

test('a name that is both a host and a group: the host shortcut wins for a plain union term', () => {
  const inv = loadClean(['lab/hosts.yml']);
  inv.hosts.set('gpu', { name: 'gpu', vars: {}, varPositions: {}, groups: [] });
  assert.equal(selectHosts(inv, 'gpu'), ['gpu']);
  assert.equal(selectHosts(inv, 'lxc:&gpu'), ['ct901', 'ct902']);
});

test.run();
