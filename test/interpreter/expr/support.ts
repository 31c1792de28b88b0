import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PhoenixError, type SourcePosition } from '../../../interpreter/errors.js';
import { evaluate, parseExpression, scopeFromObject, type Expr } from '../../../interpreter/expr/index.js';
import { VARS, type ErrorCase, type ValueCase } from './cases.js';

/** Parses and evaluates `text` against `vars` (the shared {@link VARS} by default). */
export function evalText(text: string, vars: Record<string, unknown> = VARS): unknown {
  return evaluate(parseExpression(text), scopeFromObject(vars));
}

/** The PhoenixError `run` throws; fails the test when it throws nothing or something else. */
export function errorOf(run: () => unknown, label = ''): PhoenixError {
  try {
    run();
  } catch (error) {
    if (error instanceof PhoenixError) return error;
    throw error;
  }
  return assert.unreachable(`expected a PhoenixError ${label}`) as never;
}

/** One uvu test per table; every case asserts its value. */
export function valueTable(name: string, cases: ValueCase[]): void {
  test(name, () => {
    for (const [text, expected] of cases) assert.equal(evalText(text), expected, text);
  });
}

/** One uvu test per table; every case asserts the code, the column and (when given) part of the message. */
export function errorTable(name: string, cases: ErrorCase[], origin?: SourcePosition): void {
  test(name, () => {
    for (const [text, code, column, message] of cases) {
      const error = errorOf(() => evaluate(parseExpression(text, origin), scopeFromObject(VARS)), text);
      assert.is(error.code, code, `${text}: ${error.message}`);
      assert.is(error.pos?.column, column, `column of ${text}: ${error.message}`);
      if (message) assert.ok(error.message.includes(message), `${text}: "${error.message}" lacks "${message}"`);
    }
  });
}

/** An s-expression of the tree, to assert how text groups: `a or b and c` is `(or a (and b c))`. */
export function show(expr: Expr): string {
  switch (expr.kind) {
    case 'literal':
      return JSON.stringify(expr.value);
    case 'name':
      return expr.name;
    case 'list':
      return `[${expr.items.map(show).join(' ')}]`;
    case 'dict':
      return `{${expr.entries.map(([k, v]) => `${show(k)}:${show(v)}`).join(' ')}}`;
    case 'attr':
      return `(. ${show(expr.object)} ${expr.name})`;
    case 'index':
      return `([] ${show(expr.object)} ${show(expr.index)})`;
    case 'slice':
      return `([:] ${show(expr.object)})`;
    case 'method':
      return `(.${expr.name}() ${show(expr.object)}${expr.args.map((a) => ' ' + show(a)).join('')})`;
    case 'neg':
    case 'pos':
    case 'not':
      return `(${expr.kind} ${show(expr.operand)})`;
    case 'binary':
    case 'and':
    case 'or':
      return `(${expr.kind === 'binary' ? expr.op : expr.kind} ${show(expr.left)} ${show(expr.right)})`;
    case 'compare':
      return `(${show(expr.first)}${expr.rest.map((r) => ` ${r.op} ${show(r.operand)}`).join('')})`;
    case 'filter':
      return `(|${expr.name} ${show(expr.subject)}${expr.args.map((a) => ' ' + show(a)).join('')})`;
    case 'test':
      return `(is${expr.negated ? ' not' : ''} ${expr.name} ${show(expr.subject)}${expr.args.map((a) => ' ' + show(a)).join('')})`;
    case 'cond':
      return `(if ${show(expr.test)} ${show(expr.then)}${expr.otherwise ? ' ' + show(expr.otherwise) : ''})`;
  }
}
