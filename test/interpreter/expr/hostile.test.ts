import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluate, parseExpression, scopeFromObject } from '../../../interpreter/expr/index.js';
import type { ErrorCase, ValueCase } from './cases.js';
import { errorOf, errorTable, evalText, valueTable } from './support.js';

const NO_PROTOTYPE_ACCESS: ValueCase[] = [
  ['__proto__ is defined', false],
  ['constructor is defined', false],
  ['toString is defined', false],
  ['hasOwnProperty is defined', false],
  ['n.__proto__ is defined', false],
  ['n.constructor is defined', false],
  ['s.constructor is defined', false],
  ['s.length is defined', false],
  ["s['length'] is defined", false],
  ['nums.length is defined', false],
  ["nums['length'] is defined", false],
  ['nums.map is defined', false],
  ['d.constructor is defined', false],
  ["d['__proto__'] is defined", false],
  ['d.hasOwnProperty is defined', false],
  ['d.toString is defined', false],
  ['d.__defineGetter__ is defined', false],
  ["'__proto__' in d", false],
  ["'constructor' in d", false],
  ["'toString' in d", false],
  ["{'__proto__': {'x': 1}}.x is defined", false],
  ["{'__proto__': {'x': 1}}['__proto__'].x", 1],
  ["{'__proto__': 1} | list", ['__proto__']],
  ["{'constructor': 2}.constructor", 2],
  ["d.get('constructor') is none", true],
  ["d | map('string') | list | length", 4],
  ["users | map(attribute='constructor', default='-') | list", ['-', '-']],
  ["users | map(attribute='__proto__.x', default='-') | list", ['-', '-']],
];
valueTable('lookups read own data properties only: no prototype, no JavaScript properties', NO_PROTOTYPE_ACCESS);

const NO_JAVASCRIPT_NAMES: ErrorCase[] = [
  ['nums | constructor', 'E_EXPR_UNKNOWN_FILTER', 8],
  ['nums | __proto__', 'E_EXPR_UNKNOWN_FILTER', 8],
  ['n is constructor', 'E_EXPR_UNKNOWN_TEST', 6],
  ['n is hasOwnProperty', 'E_EXPR_UNKNOWN_TEST', 6],
  ['s.constructor()', 'E_EXPR_UNKNOWN_METHOD', 3],
  ['s.toString()', 'E_EXPR_UNKNOWN_METHOD', 3],
  ['d.valueOf()', 'E_EXPR_UNKNOWN_METHOD', 3],
  ['s.constructor.constructor("return 1")()', 'E_EXPR_UNKNOWN_METHOD', 15],
  ["nums | select('constructor')", 'E_EXPR_UNKNOWN_TEST', 15],
  ["nums | map('constructor')", 'E_EXPR_UNKNOWN_FILTER', 12],
  ["nums | map('__proto' ~ '__')", 'E_EXPR_UNKNOWN_FILTER', 8],
  ["nums | select('constructor' ~ '') | list", 'E_EXPR_UNKNOWN_TEST', 8],
];
errorTable('JavaScript names are never filters, tests or methods', NO_JAVASCRIPT_NAMES);

test('a __proto__ key in a dict literal does not pollute Object.prototype', () => {
  evalText("{'__proto__': {'polluted': 1}, 'constructor': {'prototype': {'polluted': 1}}}");
  assert.is(({} as Record<string, unknown>).polluted, undefined);
  assert.is(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
});

test('getters on variables are never run', () => {
  let called = false;
  const vars = Object.defineProperty({ d: {} as object }, 'secret', { get: () => ((called = true), 1), enumerable: true });
  Object.defineProperty(vars.d, 'inner', { get: () => ((called = true), 1), enumerable: true });
  assert.is(evalText('secret is defined', vars), false);
  assert.is(evalText('d.inner is defined', vars), false);
  assert.is(called, false);
});

test('deep nesting is a syntax error, not a stack overflow', () => {
  const cases = [
    '('.repeat(10_000) + '1' + ')'.repeat(10_000),
    '['.repeat(10_000) + ']'.repeat(10_000),
    '{"a": '.repeat(5_000) + '1' + '}'.repeat(5_000),
    'not '.repeat(10_000) + 'x',
    '-'.repeat(10_000) + '1',
    '1' + ' + 1'.repeat(10_000),
    'x' + ' or x'.repeat(10_000),
    'x' + ' | lower'.repeat(10_000),
    'x' + '.a'.repeat(10_000),
    'x' + '[0]'.repeat(10_000),
    '1 if x else '.repeat(5_000) + '2',
  ];
  for (const text of cases) {
    const error = errorOf(() => parseExpression(text), text.slice(0, 20));
    assert.is(error.code, 'E_EXPR_SYNTAX', text.slice(0, 20));
    assert.ok(/nested|chain/.test(error.message), error.message);
  }
});

test('reasonable nesting and long flat input work', () => {
  assert.is(evalText('('.repeat(50) + 'n' + ')'.repeat(50)), 6);
  assert.is(evalText('n == 1 or '.repeat(100) + 'true'), true);
  assert.is(evalText("'" + 'a'.repeat(1_000_000) + "' | length"), 1_000_000);
  const list = `[${Array.from({ length: 20_000 }, (_, i) => i).join(', ')}]`;
  assert.is(evalText(`${list} | length`), 20_000);
  assert.is(evalText(`19999 in ${list}`), true);
});

test('odd characters: NUL, unicode, unbalanced quotes and braces are errors or data, never crashes', () => {
  assert.is(evalText("'\\u0000' | length"), 1);
  assert.is(evalText("'日本' ~ '語'"), '日本語');
  for (const text of ['\u0000', "'", '"', '{', '}', '{{', '}}', '{{ }}', '[', ']', ')', '|', '.', '\\', '`x`', '#', '@x', '\u2028']) {
    assert.ok(errorOf(() => parseExpression(text), JSON.stringify(text)).code.startsWith('E_EXPR_'), JSON.stringify(text));
  }
});

test('a user regex is compiled without eval and a bad one is E_EXPR_VALUE', () => {
  assert.is(evalText("'a+b' | regex_search('a\\\\+b')"), 'a+b');
  assert.is(errorOf(() => evalText("s is match('[')")).code, 'E_EXPR_VALUE');
  assert.is(errorOf(() => evalText("s is match('(?x)a b')")).code, 'E_EXPR_VALUE');
});

test('a key holding JavaScript undefined is missing, like an absent key', () => {
  const vars = { result: { rc: 0, msg: undefined } };
  assert.is(evalText('result.msg is defined', vars), false);
  assert.is(evalText("result.msg | default('none')", vars), 'none');
  assert.is(evalText("'msg' in result", vars), false);
});

test('a scope that returns JavaScript undefined is treated as undefined, not as None', () => {
  const scope = { lookup: () => undefined };
  assert.is(evaluate(parseExpression('x is defined'), scope), false);
  assert.is(errorOf(() => evaluate(parseExpression('x'), scopeFromObject({}))).code, 'E_UNDEFINED_VAR');
});

test.run();
