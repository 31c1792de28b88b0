import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dumpJson } from '../../../interpreter/report/dump.js';

// Expected strings are what python3's json.dumps(value, sort_keys=True, ensure_ascii=False[, indent=4]) printed.
const value = { b: [1, { z: null, a: 'é\n"q"' }], a: {}, c: [], d: true, e: 1.5, f: '\u0001\t', skipped: undefined };

test('one line, keys sorted at every depth, Python separators, no ASCII escaping', () => {
  assert.is(dumpJson(value), '{"a": {}, "b": [1, {"a": "é\\n\\"q\\"", "z": null}], "c": [], "d": true, "e": 1.5, "f": "\\u0001\\t"}');
});

test('indent 4 as Ansible prints debug output and -vvv results', () => {
  assert.is(dumpJson(value, 4), [
    '{', '    "a": {},', '    "b": [', '        1,', '        {', '            "a": "é\\n\\"q\\"",', '            "z": null',
    '        }', '    ],', '    "c": [],', '    "d": true,', '    "e": 1.5,', '    "f": "\\u0001\\t"', '}',
  ].join('\n'));
});

test('undefined array entries become null; dates use toJSON', () => {
  assert.is(dumpJson([undefined, new Date(0)]), '[null, "1970-01-01T00:00:00.000Z"]');
});

test.run();
