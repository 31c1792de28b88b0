import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ACCESS, ARITHMETIC, COMPARISONS, LITERALS, METHODS, PRECEDENCE, type ErrorCase } from './cases.js';
import { errorTable, evalText, valueTable } from './support.js';

valueTable('precedence and short-circuit values follow Jinja', PRECEDENCE);
valueTable('arithmetic follows Python (floor division, modulo sign, repetition)', ARITHMETIC);
valueTable('comparisons and membership follow Python equality and ordering', COMPARISONS);
valueTable('literals: numbers, quoted strings with Python escapes, booleans, none, lists, dicts', LITERALS);
valueTable('access: attributes, keys, indexes, negative indexes, slices; missing parts are Undefined', ACCESS);
valueTable('the common Python string, list and dict methods', METHODS);

const UNDEFINED_USES: ErrorCase[] = [
  ['missing', 'E_UNDEFINED_VAR', 1, "'missing' is undefined"],
  ['missing == 1', 'E_UNDEFINED_VAR', 1, "'missing' is undefined"],
  ['n == 6 and missing', 'E_UNDEFINED_VAR', 12, "'missing' is undefined"],
  ['ok_result.stderr | length > 0', 'E_UNDEFINED_VAR', 1, "'ok_result.stderr' is undefined"],
  ['d.b.x == 1', 'E_UNDEFINED_VAR', 1, "'d.b.x' is undefined"],
  ["d['odd']", 'E_UNDEFINED_VAR', 1, "'d.odd' is undefined"],
  ["d['odd one']", 'E_UNDEFINED_VAR', 1, `'d["odd one"]' is undefined`],
  ['users[5].name', 'E_UNDEFINED_VAR', 1, "'users[5]' is undefined"],
  ['missing.a.b', 'E_UNDEFINED_VAR', 1, "'missing' is undefined"],
  ['not missing', 'E_UNDEFINED_VAR', 5],
  ['missing or true', 'E_UNDEFINED_VAR', 1],
  ['[1, missing]', 'E_UNDEFINED_VAR', 5],
  ["{'a': missing}", 'E_UNDEFINED_VAR', 7],
  ['missing + 1', 'E_UNDEFINED_VAR', 1],
  ["'x' ~ missing", 'E_UNDEFINED_VAR', 7],
  ['missing | lower', 'E_UNDEFINED_VAR', 1],
  ['missing is string', 'E_UNDEFINED_VAR', 1],
  ['missing is failed', 'E_UNDEFINED_VAR', 1],
  ['missing2 | default(missing)', 'E_UNDEFINED_VAR', 12, "'missing' is undefined"],
  ['[] | first', 'E_UNDEFINED_VAR', 6, 'no first item'],
  ['n if fl', 'E_UNDEFINED_VAR', 3, "no 'else'"],
  ['d[missing]', 'E_UNDEFINED_VAR', 3, "'missing' is undefined"],
  ["d[d.b.c] == 1", 'E_UNDEFINED_VAR', 1, "'d.deep' is undefined"],
  ["users[n]", 'E_UNDEFINED_VAR', 1, "'users[6]' is undefined"],
  ["(d.b).x", 'E_UNDEFINED_VAR', 2, "'d.b.x' is undefined"],
  ["(d | default({})).x", 'E_UNDEFINED_VAR', 6, "'(...).x' is undefined"],
  ['missing is defined or missing > 1', 'E_UNDEFINED_VAR', 23],
  ['nums[missing:]', 'E_UNDEFINED_VAR', 6],
  ['s.startswith(missing)', 'E_UNDEFINED_VAR', 14],
  ['missing.startswith("a")', 'E_UNDEFINED_VAR', 1],
  ['missing | mandatory', 'E_UNDEFINED_VAR', 11, "Mandatory variable 'missing' not defined."],
  ["missing | mandatory('set gpu_model')", 'E_UNDEFINED_VAR', 11, 'set gpu_model'],
];
errorTable('using an undefined value is E_UNDEFINED_VAR naming the missing path, at its column', UNDEFINED_USES);

const TYPE_ERRORS: ErrorCase[] = [
  ["'a' < 1", 'E_EXPR_TYPE', 5, "'<' not supported between instances of 'str' and 'int'"],
  ['nothing < 1', 'E_EXPR_TYPE', 9, "'NoneType' and 'int'"],
  ["'a' + 1", 'E_EXPR_TYPE', 5, 'unsupported operand'],
  ['1 + 2 ~ 3', 'E_EXPR_TYPE', 3],
  ["n - 'x'", 'E_EXPR_TYPE', 3],
  ['s * 1.5', 'E_EXPR_TYPE', 3],
  ['1 / 0', 'E_EXPR_VALUE', 3, 'division by zero'],
  ["'x' * 10 ** 9", 'E_EXPR_VALUE', 5, 'too large'],
  ['[0] * 10 ** 9', 'E_EXPR_VALUE', 5, 'too large'],
  ['n // 0', 'E_EXPR_VALUE', 3],
  ['n % zero', 'E_EXPR_VALUE', 3],
  ["- 'x'", 'E_EXPR_TYPE', 1, 'bad operand type for unary -'],
  ['-nums|length', 'E_EXPR_TYPE', 1],
  ["'a' in 1", 'E_EXPR_TYPE', 5, 'not iterable'],
  ["1 in 'abc'", 'E_EXPR_TYPE', 3, 'requires string'],
  ['n | length', 'E_EXPR_TYPE', 5, 'has no len()'],
  ['n | first', 'E_EXPR_TYPE', 5],
  ["n.startswith('a')", 'E_EXPR_TYPE', 1, "'int' object has no attribute 'startswith'"],
  ['s.keys()', 'E_EXPR_TYPE', 1],
  ['{[1]: 2}', 'E_EXPR_TYPE', 1, 'unhashable'],
  ['d.list in d', 'E_EXPR_TYPE', 8, "unhashable type: 'list'"],
  ["'{' | from_json", 'E_EXPR_VALUE', 7, 'from_json'],
  ['nums | dict2items', 'E_EXPR_TYPE', 8, 'requires a dictionary'],
  ['nums | items2dict', 'E_EXPR_TYPE', 8, 'list of dictionaries'],
  ["s | regex_search('(')", 'E_EXPR_VALUE', 5, 'invalid regular expression'],
  ["[1, 'a'] | sort", 'E_EXPR_TYPE', 12],
  ['nums[1:2:0]', 'E_EXPR_VALUE', 1],
  ['nums[1.5:]', 'E_EXPR_TYPE', 1],
  ["n is version('1', '~~')", 'E_EXPR_VALUE', 6],
  ["'1.0rc1' is version('1.0.1', '<')", 'E_EXPR_VALUE', 13, "not supported between instances of 'str' and 'int'"],
  ["'1.x' is version('1.0', '<', strict=true)", 'E_EXPR_VALUE', 10, 'invalid version number'],
  ['n is failed', 'E_EXPR_TYPE', 6, 'expects a dictionary'],
  ["nums | select('nope_' ~ 'x') | list", 'E_EXPR_UNKNOWN_TEST', 8],
  ["nums | map('x' ~ 'y')", 'E_EXPR_UNKNOWN_FILTER', 8],
];
errorTable('type and value errors have stable codes and point at the operator or filter', TYPE_ERRORS);

test('and/or return Python-like operands, not booleans', () => {
  assert.is(evalText("empty or 'fallback'"), 'fallback');
  assert.equal(evalText('nums and d.list'), [10, 20]);
  assert.is(evalText('nothing and missing'), null);
});

test('values come back as JSON data the caller can use', () => {
  assert.equal(evalText("{'k': nums | sort, 'n': n * 2}"), { k: [1, 2, 3], n: 12 });
  assert.equal(evalText('users | selectattr("admin") | list'), [{ name: 'ann', admin: true, uid: 1000 }]);
});

test('evaluation does not mutate the variables', () => {
  const vars = { l: [3, 1, 2] };
  assert.equal(evalText('l | sort', vars), [1, 2, 3]);
  assert.equal(evalText('l | reverse | list', vars), [2, 1, 3]);
  assert.equal(vars.l, [3, 1, 2]);
});

test.run();
