import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expandHostKey, parseAddress } from '../../../interpreter/inventory/host-range.js';
import { expected } from './support.js';

const recorded = JSON.parse(expected('addresses.json')) as Record<string, { host: string; port: number | null } | null>;

for (const [text, want] of Object.entries(recorded)) {
  test(`address ${JSON.stringify(text)} parses as ansible-core's parse_address does`, () => {
    const got = parseAddress(text);
    assert.equal(got ? { host: got.host, port: got.port ?? null } : null, want);
  });
}

test('range errors are ansible\'s: unequal zero-padded widths, missing end, reversed letters', () => {
  assert.throws(() => expandHostKey('web[01:9]'), /equal-length/);
  assert.throws(() => expandHostKey('n[c:a]'), /begin <= end/);
  assert.throws(() => expandHostKey('host name'), /invalid host name/);
  assert.equal(expandHostKey('web[0:2]').names, ['web0', 'web1', 'web2']);
  assert.equal(expandHostKey('n[a:e:2]').names, ['na', 'nc', 'ne']);
});

test.run();
