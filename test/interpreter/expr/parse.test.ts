import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluate, parseExpression, scopeFromObject } from '../../../interpreter/expr/index.js';
import { VARS, type ErrorCase } from './cases.js';
import { errorOf, errorTable, evalText, show } from './support.js';

const GROUPING: Array<[string, string]> = [
  ['a or b and c', '(or a (and b c))'],
  ['a and b or c', '(or (and a b) c)'],
  ['not a and b', '(and (not a) b)'],
  ['not a == b', '(not (a == b))'],
  ['not not a', '(not (not a))'],
  ['a == b and c != d', '(and (a == b) (c != d))'],
  ['a < b <= c', '(a < b <= c)'],
  ['a not in b', '(a not in b)'],
  ['a in b or c', '(or (a in b) c)'],
  ['a + b * c', '(+ a (* b c))'],
  ['a + b ~ c * d', '(+ a (~ b (* c d)))'],
  ['a - b - c', '(- (- a b) c)'],
  ['a // b % c', '(% (// a b) c)'],
  ['a ** b ** c', '(** (** a b) c)'],
  ['-a ** b', '(** (neg a) b)'],
  ['-a | lower', '(|lower (neg a))'],
  ['a | lower ~ b', '(~ (|lower a) b)'],
  ['a.b[0] | lower', '(|lower ([] (. a b) 0))'],
  ['a | default(b) | int', '(|int (|default a b))'],
  ['a is defined and b', '(and (is defined a) b)'],
  ['a == b is number', '(a == (is number b))'],
  ['a is not none', '(is not none a)'],
  ['a is divisibleby 3 or b', '(or (is divisibleby a 3) b)'],
  ['a is in [1] and b', '(and (is in a [1]) b)'],
  ['a is eq b.c | string', '(|string (is eq a (. b c)))'],
  ['a is defined and b is not none', '(and (is defined a) (is not none b))'],
  ['a is defined | string', '(|string (is defined a))'],
  ['(a is defined) is true', '(is true (is defined a))'],
  ['a is eq(1) is true', '(is true (is eq a 1))'],
  ['x if c else y if d else z', '(if c x (if d y z))'],
  ['x if c', '(if c x)'],
  ['a or b if c else d', '(if c (or a b) d)'],
  ['a.0.1', '([] ([] a 0) 1)'],
  ["a['b'].c", '(. ([] a "b") c)'],
  ['a.split(",")[0]', '([] (.split() a ",") 0)'],
  ["{'k': [1, (2)]}", '{"k":[1 2]}'],
  ['(a, b)', '[a b]'],
  ['none', 'null'],
  ['True', 'true'],
];

test('operators group as in Jinja (or < and < not < compare < + - < ~ < * / < ** < unary < filters, tests < postfix)', () => {
  for (const [text, tree] of GROUPING) assert.is(show(parseExpression(text)), tree, text);
});

const SYNTAX_ERRORS: ErrorCase[] = [
  ['', 'E_EXPR_SYNTAX', 1, 'expected an expression, found end of expression'],
  ['   ', 'E_EXPR_SYNTAX', 4, 'expected an expression'],
  ['x ==', 'E_EXPR_SYNTAX', 5, 'expected an expression, found end of expression'],
  ['x == == 1', 'E_EXPR_SYNTAX', 6, "found '=='"],
  ['(x', 'E_EXPR_SYNTAX', 3, "expected ',' or ')'"],
  ['x)', 'E_EXPR_SYNTAX', 2, "expected an operator or the end of the expression, found ')'"],
  ["'unterminated", 'E_EXPR_SYNTAX', 1, 'unterminated string'],
  ['x $ y', 'E_EXPR_SYNTAX', 3, 'unexpected character "$"'],
  ['x ! y', 'E_EXPR_SYNTAX', 3, 'unexpected character'],
  ['x = 1', 'E_EXPR_SYNTAX', 3, "found '='"],
  ['a.', 'E_EXPR_SYNTAX', 3, 'expected an attribute name'],
  ['[1, 2', 'E_EXPR_SYNTAX', 6, "expected ',' or ']'"],
  ["{'a' 1}", 'E_EXPR_SYNTAX', 6, "expected ':'"],
  ['x if y else', 'E_EXPR_SYNTAX', 12],
  ['x[1:2:3:4]', 'E_EXPR_SYNTAX', 8, "expected ']'"],
  ['x not y', 'E_EXPR_SYNTAX', 3, "found 'not'"],
  ['and', 'E_EXPR_SYNTAX', 1, "found 'and'"],
  ['x y', 'E_EXPR_SYNTAX', 3, "found 'y'"],
  ['x |', 'E_EXPR_SYNTAX', 4, 'expected a filter name'],
  ['x is', 'E_EXPR_SYNTAX', 5, 'expected a test name'],
  ['x is not', 'E_EXPR_SYNTAX', 9, 'expected a test name'],
  ['x is defined is true', 'E_EXPR_SYNTAX', 14, 'cannot chain tests'],
  ['x | 1', 'E_EXPR_SYNTAX', 5, 'expected a filter name'],
  ['lookup("file", "x")', 'E_EXPR_SYNTAX', 1, 'function calls are not supported'],
  ['(1)(2)', 'E_EXPR_SYNTAX', 4, 'only methods can be called'],
  ["'\\x4'", 'E_EXPR_SYNTAX', 2, 'invalid \\x escape'],
  ['x | default(1, 2, 3)', 'E_EXPR_SYNTAX', 5, "'default' takes 0 to 2 argument(s), 3 given"],
  ['x | regex_search', 'E_EXPR_SYNTAX', 5, 'takes 1 to 3'],
  ['x | sort(nope=1)', 'E_EXPR_SYNTAX', 5, "'sort' has no argument 'nope'"],
  ['x | int(base=16, 1)', 'E_EXPR_SYNTAX', 18, 'keyword argument'],
  ['x is divisibleby', 'E_EXPR_SYNTAX', 6, 'takes 1'],
  ['x | nope', 'E_EXPR_UNKNOWN_FILTER', 5, "unknown filter 'nope'"],
  ['x | lower | nope(1)', 'E_EXPR_UNKNOWN_FILTER', 13],
  ['x is nope', 'E_EXPR_UNKNOWN_TEST', 6, "unknown test 'nope'"],
  ['x is not nope', 'E_EXPR_UNKNOWN_TEST', 10],
  ['x.nope()', 'E_EXPR_UNKNOWN_METHOD', 3, "unknown method 'nope'"],
  ["nums|select('nope')", 'E_EXPR_UNKNOWN_TEST', 13, "unknown test 'nope'"],
  ["users|selectattr('admin', 'nope')", 'E_EXPR_UNKNOWN_TEST', 27],
  ["nums|map('nope')", 'E_EXPR_UNKNOWN_FILTER', 10, "unknown filter 'nope'"],
];
errorTable('syntax errors say what was expected and found, at the offending token', SYNTAX_ERRORS);

test('an origin moves positions into the YAML file (single-line string: column offset)', () => {
  const origin = { file: 'site.yml', line: 10, column: 13 };
  const error = errorOf(() => parseExpression('x ==', origin));
  assert.equal(error.pos, { file: 'site.yml', line: 10, column: 17 });
  assert.is(errorOf(() => parseExpression('x | nope', origin)).pos?.column, 17);
  assert.is(errorOf(() => evalText('missing')).pos?.file, '<expression>');
});

test('multi-line text: later lines count from their own first column', () => {
  const origin = { file: 'site.yml', line: 10, column: 13 };
  const error = errorOf(() => parseExpression('x == 1 and\n  y ==', origin));
  assert.equal(error.pos, { file: 'site.yml', line: 11, column: 7 });
  const plain = errorOf(() => parseExpression('a\nb\n  $'));
  assert.equal(plain.pos, { file: '<expression>', line: 3, column: 3 });
});

test('one surrounding {{ }} is stripped (Ansible accepts it in when) and positions still count from the text start', () => {
  assert.is(evalText('{{ n > 1 }}'), true);
  assert.is(evalText('  {{n|string}}  '), '6');
  const error = errorOf(() => parseExpression('{{ x == }}', { file: 'p.yml', line: 3, column: 7 }));
  assert.is(error.code, 'E_EXPR_SYNTAX');
  assert.is(error.pos?.column, 15);
  assert.is(errorOf(() => parseExpression('{{ a }} and {{ b }}')).code, 'E_EXPR_SYNTAX');
  assert.is(evalText("'{{ not stripped }}'"), '{{ not stripped }}');
});

test('evaluation errors carry the origin position of the node that failed', () => {
  const origin = { file: 'tasks.yml', line: 4, column: 11 };
  const expr = parseExpression('n > 1 and result.rc == 0', origin);
  const error = errorOf(() => evaluate(expr, scopeFromObject(VARS)));
  assert.is(error.code, 'E_UNDEFINED_VAR');
  assert.is(error.message, "'result' is undefined");
  assert.equal(error.pos, { file: 'tasks.yml', line: 4, column: 21 });
});

test.run();
