import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { jsonPath } from '../../../interpreter/config/index.js';
import { MAX_JSON_DEPTH, findJsonSyntaxError } from '../../../interpreter/config/json-syntax.js';

/** Texts JSON.parse accepts: the scanner must accept them too. */
const VALID = [
  '{}', '[]', '0', '-0.5e+10', '"x"', 'true', 'null', ' \n\t{ "a" : [1, 2.5, -3e2, "s\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9", true, false, null, {}] }\r\n',
  '{"a":{"b":{"c":[[[]]]}}}', '"\u00e9\u4e2d"',
];

/** [text, offset of the first error]: the offsets JSON.parse knows but does not always tell. */
const INVALID: Array<[string, number]> = [
  ['', 0],
  ['{"a": 1,}', 8],
  ['{"a": 1 "b": 2}', 8],
  ["{'a': 1}", 1],
  ['{"a": foo}', 6],
  ['// c\n{}', 0],
  ['{"a": 1} x', 9],
  ['[1, 2', 5],
  ['{"a"}', 4],
  ['{"a": 01}', 7],
  ['{"a": "tab\there"}', 10],
  ['{"a": "\\x"}', 7],
  ['{"a": .5}', 6],
  ['{"a": NaN}', 6],
  ['[1,]', 3],
  ['{a: 1}', 1],
  ['"unterminated', 13],
];

for (const text of VALID) {
  test(`valid JSON: ${JSON.stringify(text)}`, () => {
    JSON.parse(text);
    assert.is(findJsonSyntaxError(text), undefined);
  });
}

for (const [text, offset] of INVALID) {
  test(`invalid JSON at ${offset}: ${JSON.stringify(text)}`, () => {
    assert.throws(() => JSON.parse(text));
    assert.is(findJsonSyntaxError(text)?.offset, offset);
  });
}

test('nesting: 100 levels are fine, deeper is an error at the bracket that goes too deep, not a crash', () => {
  const nest = (n: number) => '['.repeat(n) + ']'.repeat(n);
  assert.is(findJsonSyntaxError(nest(MAX_JSON_DEPTH)), undefined);
  assert.is(findJsonSyntaxError(`[${nest(MAX_JSON_DEPTH)}]`)?.offset, MAX_JSON_DEPTH);
  assert.is(findJsonSyntaxError(`{"a": ${nest(200_000)}}`)?.offset, 6 + MAX_JSON_DEPTH - 1);
  assert.is(findJsonSyntaxError(`[${'[],'.repeat(500)}[]]`), undefined, 'siblings do not add up');
});

test('JSON paths: identifiers with dots, other keys in brackets, indexes', () => {
  assert.is(jsonPath([]), '$');
  assert.is(jsonPath(['lxc_configs', '901', 'gpu_assignment']), '$.lxc_configs["901"].gpu_assignment');
  assert.is(jsonPath(['lxc_configs', '901', 'features', 0]), '$.lxc_configs["901"].features[0]');
  assert.is(jsonPath(['a b', 'x"y']), '$["a b"]["x\\"y"]');
});

test.run();
