import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  evaluateCondition, ExpressionCache, scopeFromObject, truthy, UNDEFINED, type Scope,
} from '../../../interpreter/expr/index.js';
import { VARS } from './cases.js';
import { errorOf } from './support.js';

const scope = scopeFromObject(VARS);

test('evaluateCondition: Python truthiness of the result', () => {
  const cases: Array<[string, boolean]> = [
    ['nums', true], ['empty', false], ['d', true], ['{}', false], ['[]', false], ['zero', false], ['0.0', false],
    ["'0'", true], ["'false'", true], ['nothing', false], ['n', true], ['f', true], ['t', true], ['fl', false],
    ['ok_result.rc == 0', true], ['ok_result is changed', false], ['{{ n > 1 }}', true],
    ["ansible_facts | default({}) | length == 0", true],
  ];
  for (const [text, expected] of cases) assert.is(evaluateCondition(text, scope), expected, text);
});

test('evaluateCondition: YAML booleans pass through without parsing', () => {
  assert.is(evaluateCondition(true, scope), true);
  assert.is(evaluateCondition(false, scope), false);
});

test('evaluateCondition: parse and undefined errors keep their codes and the origin', () => {
  const origin = { file: 'play.yml', line: 7, column: 13 };
  const syntax = errorOf(() => evaluateCondition('x ==', scope, origin));
  assert.is(syntax.code, 'E_EXPR_SYNTAX');
  assert.equal(syntax.pos, { file: 'play.yml', line: 7, column: 17 });
  const undefinedUse = errorOf(() => evaluateCondition('result.stdout != ""', scope, origin));
  assert.is(undefinedUse.code, 'E_UNDEFINED_VAR');
  assert.is(undefinedUse.message, "'result' is undefined");
  assert.equal(undefinedUse.pos, { file: 'play.yml', line: 7, column: 13 });
  const otherOrigin = { file: 'other.yml', line: 2, column: 5 };
  assert.is(errorOf(() => evaluateCondition('x ==', scope, otherOrigin)).pos?.file, 'other.yml');
});

test('ExpressionCache: one parse per text and origin, shared by every host', () => {
  const cache = new ExpressionCache();
  const origin = { file: 'play.yml', line: 1, column: 1 };
  assert.is(cache.get('n > 1', origin), cache.get('n > 1', origin));
  assert.is.not(cache.get('n > 1', origin), cache.get('n > 1', { ...origin, line: 2 }));
  const hosts = [{ n: 1 }, { n: 5 }, { n: 9 }].map((vars) => evaluateCondition('n > 4', scopeFromObject(vars), origin, cache));
  assert.equal(hosts, [false, true, true]);
});

test('ExpressionCache: bounded, it starts over when full', () => {
  const cache = new ExpressionCache(2);
  const first = cache.get('a');
  cache.get('b');
  cache.get('c');
  assert.is.not(cache.get('a'), first);
  assert.equal(cache.get('a'), first);
});

test('truthy: Python rules, and an undefined value is an error', () => {
  const falsy = ['', 0, [], {}, null, false];
  const truthyValues = ['0', ' ', 1, -1, 0.1, NaN, [0], { a: 0 }, true];
  for (const value of falsy) assert.is(truthy(value), false, JSON.stringify(value));
  for (const value of truthyValues) assert.is(truthy(value), true, JSON.stringify(value));
  assert.is(errorOf(() => truthy(UNDEFINED)).code, 'E_UNDEFINED_VAR');
});

test('scopeFromObject: own properties only; a custom Scope can use UNDEFINED', () => {
  const vars = Object.create({ inherited: 1 }) as Record<string, unknown>;
  vars.own = 2;
  const own = scopeFromObject(vars);
  assert.is(own.lookup('own'), 2);
  assert.is(own.lookup('inherited'), UNDEFINED);
  assert.is(own.lookup('toString'), UNDEFINED);
  const layered: Scope = {
    lookup: (name) => (name === 'task_var' ? 'task' : own.lookup(name)),
  };
  assert.is(evaluateCondition("task_var == 'task' and own == 2 and inherited is undefined", layered), true);
});

test.run();
