import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fnmatchToRegExp } from '../../../interpreter/inventory/fnmatch.js';
import { expected } from './support.js';

const names = ['ct900', 'ct9', 'web1.example.com', 'a/b', '[x]', 'x!', '!x', 'a-b', 'A1', 'a]', '^a', '.hidden', 'a\\b'];
const recorded = JSON.parse(expected('fnmatch.json')) as Record<string, string[]>;

for (const [pattern, matches] of Object.entries(recorded)) {
  test(`glob ${JSON.stringify(pattern)} matches what Python's fnmatch matches`, () => {
    const re = fnmatchToRegExp(pattern);
    assert.equal(names.filter((n) => re.test(n)), matches);
  });
}

test.run();
