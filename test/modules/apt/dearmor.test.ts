import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dearmor, isArmored, keyringBytes } from '../../../modules/apt/dearmor.js';

const cases = join(dirname(fileURLToPath(import.meta.url)), '../../../../test/modules/apt_repo/cases');
const armored = readFileSync(join(cases, 'test-key.asc'), 'utf8');
const binary = readFileSync(join(cases, 'test-key.gpg'));

test('dearmor gives the bytes gpg --dearmor gives (checked against real gpg when installed)', () => {
  assert.equal(dearmor(armored), binary);
  const gpg = spawnSync('gpg', ['--dearmor'], { input: armored });
  if (gpg.status === 0) assert.equal(dearmor(armored), gpg.stdout);
});

test('armor headers and CRLF line ends are accepted; a wrong CRC-24 is not', () => {
  const withHeaders = armored.replace('-----\n\n', '-----\nVersion: GnuPG v2\nComment: test\n\n').replace(/\n/g, '\r\n');
  assert.equal(dearmor(withHeaders), binary);
  const crc = /^=(.{4})$/m.exec(armored)![1];
  assert.throws(() => dearmor(armored.replace(`=${crc}`, crc === 'AAAA' ? '=BBBB' : '=AAAA')), /CRC-24/);
});

test('a binary key passes as is; text that is no key is refused', () => {
  assert.not.ok(isArmored(binary));
  assert.equal(keyringBytes(binary), binary);
  assert.equal(keyringBytes(Buffer.from(armored)), binary);
  assert.throws(() => keyringBytes(Buffer.from('<html>Not Found</html>')), /not an OpenPGP public key/);
  assert.throws(() => dearmor('-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nabc\n'), /not an ASCII-armored/);
});

test('a .asc keyring keeps the armored form (apt reads .asc as armor); a binary key is armored for it', () => {
  assert.is(keyringBytes(Buffer.from(armored), '/etc/apt/keyrings/x.asc').toString(), armored);
  assert.is(keyringBytes(binary, '/etc/apt/keyrings/x.asc').toString(), armored.replace(/\r/g, ''));
});

test.run();
