import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addKnownHost, checkHostKey, fingerprint, hostFieldMatches, keyTypeOf, knownHostName, loadKnownHosts,
  parseKnownHosts, preferredHostKeyAlgorithms,
} from '../../../interpreter/connection/known-hosts.js';

const test = suite('known_hosts');
const dir = mkdtempSync(join(tmpdir(), 'phoenix-kh-'));

/** A real key made by ssh-keygen: [type, base64 blob, pub file]. */
function newKey(name: string, type = 'ed25519'): { type: string; b64: string; blob: Buffer; pub: string } {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', path]);
  const [keyType, b64] = readFileSync(`${path}.pub`, 'utf8').split(/\s+/);
  return { type: keyType, b64, blob: Buffer.from(b64, 'base64'), pub: `${path}.pub` };
}
test.after(() => rmSync(dir, { recursive: true, force: true }));
const a = newKey('a');
const b = newKey('b');
const r = newKey('r', 'rsa');

test('fingerprint equals ssh-keygen -l, key type read from the blob', () => {
  const printed = execFileSync('ssh-keygen', ['-l', '-f', a.pub], { encoding: 'utf8' }).split(/\s+/)[1];
  assert.is(fingerprint(a.blob), printed);
  assert.is(keyTypeOf(a.blob), 'ssh-ed25519');
  assert.is(keyTypeOf(r.blob), 'ssh-rsa');
});

test('knownHostName: bare on 22, [host]:port otherwise', () => {
  assert.is(knownHostName('pve1', 22), 'pve1');
  assert.is(knownHostName('10.0.0.5', 2222), '[10.0.0.5]:2222');
});

test('host fields: comma lists, globs, negation, [host]:port', () => {
  assert.ok(hostFieldMatches('pve1,10.0.0.5', '10.0.0.5'));
  assert.ok(hostFieldMatches('*.lab.example', 'pve1.lab.example'));
  assert.ok(hostFieldMatches('pve?', 'pve2'));
  assert.not.ok(hostFieldMatches('*.lab.example,!bad.lab.example', 'bad.lab.example'));
  assert.ok(hostFieldMatches('[10.0.0.5]:2222', '[10.0.0.5]:2222'));
  assert.not.ok(hostFieldMatches('10.0.0.5', '[10.0.0.5]:2222'));
  assert.not.ok(hostFieldMatches('pve1', 'pve10'));
});

test('hashed entries written by ssh-keygen -H match the host they hash, and only it', () => {
  const file = join(dir, 'hashed');
  writeFileSync(file, `[127.0.0.1]:2200 ${a.type} ${a.b64}\npve1 ${b.type} ${b.b64}\n`);
  execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
  const entries = parseKnownHosts(readFileSync(file, 'utf8'), file);
  assert.ok(entries.every((e) => e.hosts.startsWith('|1|')));
  assert.is(checkHostKey(entries, '[127.0.0.1]:2200', a.blob).kind, 'known');
  assert.is(checkHostKey(entries, 'pve1', b.blob).kind, 'known');
  assert.is(checkHostKey(entries, 'pve2', b.blob).kind, 'unknown');
  assert.is(checkHostKey(entries, 'pve1', a.blob).kind, 'changed');
});

test('host matching agrees with `ssh-keygen -F` on plain and hashed files (globs, negation, [host]:port)', () => {
  const plain = join(dir, 'oracle');
  writeFileSync(plain, [`*.lab,!bad.lab ${a.type} ${a.b64}`, `[10.0.0.5]:2222 ${a.type} ${a.b64}`, `pve? ${a.type} ${a.b64}`,
    `HashMe,10.1.1.1 ${a.type} ${a.b64}`, ''].join('\n'));
  const hashed = join(dir, 'oracle-hashed');
  writeFileSync(hashed, readFileSync(plain));
  execFileSync('ssh-keygen', ['-H', '-f', hashed], { stdio: 'ignore' });
  for (const file of [plain, hashed]) {
    const entries = parseKnownHosts(readFileSync(file, 'utf8'), file);
    for (const name of ['db.lab', 'bad.lab', '[10.0.0.5]:2222', '10.0.0.5', 'pve1', 'pve10', 'hashme', '10.1.1.1', 'other']) {
      let found = true;
      try {
        execFileSync('ssh-keygen', ['-F', name, '-f', file], { stdio: 'ignore' });
      } catch {
        found = false;
      }
      assert.is(checkHostKey(entries, name, a.blob).kind === 'known', found, `${name} in ${file}`);
    }
  }
});

test('verdicts: known, unknown, changed (with the expected entry and line), revoked, other key type', () => {
  const text = `# c\n@cert-authority *.example ${b.type} ${b.b64}\npve1 ${a.type} ${a.b64}\n@revoked * ${r.type} ${r.b64}\nbroken\n`;
  const entries = parseKnownHosts(text, '/kh');
  assert.is(entries.length, 3);
  assert.is(checkHostKey(entries, 'pve1', a.blob).kind, 'known');
  assert.is(checkHostKey(entries, 'pve9', a.blob).kind, 'unknown');
  const changed = checkHostKey(entries, 'pve1', b.blob);
  assert.is(changed.kind, 'changed');
  if (changed.kind === 'changed') assert.is(changed.expected[0].line, 3);
  assert.is(checkHostKey(entries, 'pve9', r.blob).kind, 'revoked');
  // a CA line is not a host key: a server presenting the CA key itself is not "known"
  assert.is(checkHostKey(entries, 'x.example', b.blob).kind, 'unknown');
});

test('preferred algorithms put the known key type first', () => {
  const entries = parseKnownHosts(`pve1 ${r.type} ${r.b64}\n`, '/kh');
  assert.equal(preferredHostKeyAlgorithms(entries, 'pve1')!.slice(0, 3), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
  assert.is(preferredHostKeyAlgorithms(entries, 'other'), undefined);
});

test('addKnownHost creates the file (and directory) and appends on a new line', async () => {
  const file = join(dir, 'new', 'known_hosts');
  await addKnownHost(file, '[h]:2', a.blob);
  writeFileSync(file, readFileSync(file, 'utf8').trimEnd());
  await addKnownHost(file, 'h2', b.blob);
  const entries = await loadKnownHosts(file);
  assert.equal(entries.map((e) => [e.hosts, e.key]), [['[h]:2', a.b64], ['h2', b.b64]]);
  assert.equal(await loadKnownHosts(join(dir, 'missing')), []);
});

test.run();
