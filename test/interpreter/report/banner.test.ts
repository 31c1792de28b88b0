import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { banner, warningText } from '../../../interpreter/report/banner.js';
import { recapLines } from '../../../interpreter/report/recap.js';
import { createPalette } from '../../../interpreter/report/palette.js';
import { emptyStats } from '../../../interpreter/result.js';

test('banners are 80 columns, with at least 3 stars', () => {
  assert.is(banner('TASK [x]'), `\nTASK [x] ${'*'.repeat(71)}`);
  assert.is(banner('TASK [x]').length, 81);
  assert.is(banner(`TASK [${'y'.repeat(76)}]`), `\nTASK [${'y'.repeat(76)}] ***`);
});

test('warnings wrap at 79 columns between words, and cut words longer than a line', () => {
  const words = warningText(`${'word '.repeat(20)}end`).split('\n');
  assert.equal(words.map((l) => l.length), [75, 38]); // python3's textwrap.wrap gives these lengths too
  const long = warningText(`a ${'x'.repeat(200)}`).split('\n');
  assert.equal(long.map((l) => l.length), [79, 79, 55]);
  assert.ok(long[0].startsWith('[WARNING]: a xxx'));
});

test('recap host column is 26 wide, longer names push the line, counts padded to 4', () => {
  const lines = recapLines({ 'a-very-long-container-name-901': { ...emptyStats(), ok: 12345 }, b: emptyStats() }, createPalette(false));
  assert.equal(lines, [
    'a-very-long-container-name-901 : ok=12345 changed=0    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0   ',
    'b                          : ok=0    changed=0    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0   ',
  ]);
});

test.run();
