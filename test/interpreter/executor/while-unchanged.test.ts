import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../../interpreter/cli.js';
import { connectionFor, untilChange } from '../../../interpreter/executor/context.js';
import { readerKey, type Connection } from '../../../interpreter/connection/types.js';
import { noteApply, type RunServices } from '../../../interpreter/executor/options.js';

test('whileUnchanged: the same answer until an apply starts or ends; one read during an apply is not kept', async () => {
  const holder = { answers: new Map<string, Promise<unknown>>() };
  const services = { unchanged: holder } as unknown as RunServices;
  const ask = untilChange(holder);
  let reads = 0;
  const read = async () => ++reads;
  assert.is(await ask('k', read), 1);
  assert.is(await ask('k', read), 1, 'shared while nothing applied');
  noteApply(services); // an apply starts
  assert.is(await ask('k', read), 2, 'read again once an apply started');
  noteApply(services); // ... and ends
  assert.is(await ask('k', read), 3, 'what was read during the apply is not reused after it');
  assert.is(await ask('k', read), 3);
});

test('answers are shared per target and become: a login that may not read what root reads does not answer for root', () => {
  const conn = { host: 'pve1' } as Connection;
  assert.is(readerKey(conn), 'pve1');
  assert.is(readerKey(connectionFor(conn, false, {})), 'pve1');
  assert.is.not(readerKey(connectionFor(conn, true, {})), 'pve1');
  assert.is(readerKey(connectionFor(conn, true, { LC_ALL: 'C' })), readerKey(connectionFor(conn, true, {})));
});

/**
 * Through the executor, on this machine's real dpkg (read only: the packages asked for are installed, nothing is
 * applied but a command): the apt tasks of a host run one dpkg-query between them, and a command (which may change
 * what it does not report) makes the next apt task ask again. An arch-qualified name asks on its own.
 */
test('the apt tasks of one host share one dpkg query until a task applies something', async () => {
  const arch = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-unchanged-'));
  writeFileSync(join(dir, 'site.yml'), `
- hosts: all
  gather_facts: false
  tasks:
    - { name: first, apt: { name: dpkg } }
    - { name: second, apt: { name: [dpkg, coreutils] } }
    - { name: a command, command: "true", changed_when: false }
    - { name: third, apt: { name: coreutils } }
    - { name: fourth, apt: { name: dpkg } }
    - { name: arch, apt: { name: "dpkg:${arch}" } }
`);
  writeFileSync(join(dir, 'inventory.yml'), 'all:\n  hosts:\n    h1:\n      ansible_connection: local\n');
  let out = '';
  try {
    const code = await main(['run', join(dir, 'site.yml'), '-i', join(dir, 'inventory.yml'), '-vvv'], {
      stdout: { write: (s: string) => { out += s; } },
      stderr: { write: (s: string) => { out += s; } },
    });
    assert.is(code, 0, out);
    const queries = out.split('\n').filter((l) => l.includes(' EXEC dpkg-query -W'));
    assert.equal(queries.map((l) => (l.includes(' -- ') ? l.slice(l.indexOf(' -- ') + 4) : 'all')), ['all', 'all', `dpkg:${arch} 2>/dev/null; true`]);
    assert.match(out, 'ok: [h1] dpkg ');
    assert.match(out, /ok: \[h1\] coreutils \S+ installed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
