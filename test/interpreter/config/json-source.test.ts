import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readJsonSource } from '../../../interpreter/config/json-source.js';
import { ErrorList } from '../../../interpreter/errors.js';

const TEXT = [
  '{',
  '  "lxc_configs": {',
  '    "901": { "name": "gpu \\"one\\" \\u00e9\\n", "cores": 4, "ratio": -1.5e2, "on": true, "off": null,',
  '      "features": ["base_setup", "nvidia"], "empty": {}, "none": [] },',
  '    "__proto__": { "polluted": true },',
  '    "901": { "name": "again" }',
  '  },',
  '  "nested": [[1, [2]], {"a": "}"}]',
  '}',
].join('\n');

function read(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-json-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, text);
  try {
    const errors = new ErrorList();
    const source = readJsonSource(file, errors);
    return { source: source!, file, errors };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('values are what JSON.parse reads (escapes, numbers, nesting; a repeated key keeps the last), __proto__ stays data', () => {
  const { source } = read(TEXT);
  assert.equal(JSON.stringify(source.value), JSON.stringify(JSON.parse(TEXT)));
  const configs = (source.value as { lxc_configs: Record<string, unknown> }).lxc_configs;
  assert.ok(Object.prototype.hasOwnProperty.call(configs, '__proto__'));
  assert.is(({} as Record<string, unknown>).polluted, undefined);
});

test('keys and values say their line and column; a missing value falls back to its nearest written ancestor', () => {
  const { source, file } = read(TEXT);
  const pos = (line: number, column: number) => ({ file, line, column });
  assert.equal(source.keyPos(['lxc_configs', '901', 'cores']), pos(3, 46));
  assert.equal(source.valuePos(['lxc_configs', '901', 'cores']), pos(3, 55));
  assert.equal(source.valuePos(['lxc_configs', '901', 'features', 1]), pos(4, 34));
  assert.equal(source.valuePos(['nested', 0, 1, 0]), pos(8, 19));
  assert.equal(source.valuePos(['nested', 1, 'a']), pos(8, 30));
  assert.equal(source.valuePos(['lxc_configs', '901', 'no_such_key']), source.valuePos(['lxc_configs', '901']));
  assert.equal(source.valuePos([]), pos(1, 1));
});

test('a key written twice is reported with both places', () => {
  const { source, file } = read(TEXT);
  assert.equal(source.duplicates, [{ parent: ['lxc_configs'], key: '901', pos: { file, line: 6, column: 5 }, first: { file, line: 3, column: 5 } }]);
});

test('a syntax error is still found first, with its place', () => {
  const { source, errors } = read('{\n  "a": 1,\n}\n');
  assert.is(source, undefined);
  assert.match(errors.errors[0]!.message, 'JSON syntax error');
});

test.run();
