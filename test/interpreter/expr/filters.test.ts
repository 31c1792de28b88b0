import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { filters, tests } from '../../../interpreter/expr/index.js';
import type { ValueCase } from './cases.js';
import { FILTERS, RESULTS, TESTS } from './filter-cases.js';
import { valueTable } from './support.js';

valueTable('every filter, with its Jinja/Ansible semantics', FILTERS);
valueTable('every test, after is and is not', TESTS);
valueTable('registered-result tests, for plain and loop results (Ansible rules)', RESULTS);

/** Names used as `| name` or `is name` (or `is not name`) in the case texts. */
function usedNames(cases: ValueCase[], pattern: RegExp): Set<string> {
  return new Set(cases.flatMap(([text]) => [...text.matchAll(pattern)].map((m) => m[1])));
}

test('each filter has at least one case', () => {
  const used = usedNames(FILTERS, /\|\s*(\w+)/g);
  for (const name of Object.keys(filters)) assert.ok(used.has(name), `no case for filter '${name}'`);
});

test('each test has at least one case (symbolic aliases through select)', () => {
  const used = usedNames([...TESTS, ...RESULTS], /\bis\s+(?:not\s+)?(\w+)/g);
  const symbolic = ['==', '!=', '<', '<=', '>', '>='];
  for (const name of Object.keys(tests)) {
    if (!symbolic.includes(name)) assert.ok(used.has(name), `no case for test '${name}'`);
  }
});

valueTable('symbolic test names work through select/reject', [
  ["nums | select('==', 1) | list", [1]],
  ["nums | select('!=', 1) | list", [3, 2]],
  ["nums | select('<', 3) | list", [1, 2]],
  ["nums | select('<=', 2) | list", [1, 2]],
  ["nums | reject('>=', 2) | list", [1]],
]);

test.run();
