import { PhoenixError } from '../errors.js';
import type { BinaryOp, CallArgs, CompareOp, Expr } from './ast.js';
import { findCallable, type CallableTable } from './callable.js';
import { filters } from './filters.js';
import { methods } from './methods.js';
import { tests } from './tests.js';
import {
  getItem, isMapping, isNumeric, isTruthy, pyCompare, pyContains, pyEquals, pyStr, typeError, typeName,
  Undefined, UNDEFINED, valueError, type Scope,
} from './values.js';

/**
 * Runs a parsed expression against a scope. The result is never undefined: using a missing variable anywhere
 * except under `is defined`, `is undefined`, `is none` or `default(...)` throws.
 *
 * @throws PhoenixError `E_UNDEFINED_VAR` naming the missing path, `E_EXPR_TYPE` (`'a' < 1`) or `E_EXPR_VALUE`
 *   (division by zero, invalid regex), positioned at the node that failed.
 */
export function evaluate(expr: Expr, scope: Scope): unknown {
  return value(expr, scope);
}

/** Evaluates one node; a positionless error from a helper gets this node's position (the innermost one wins). */
function run(expr: Expr, scope: Scope): unknown {
  try {
    return evaluateNode(expr, scope);
  } catch (error) {
    if (error instanceof PhoenixError && !error.pos) error.pos = expr.pos;
    throw error;
  }
}

/** Evaluates a node whose value is used: Undefined is an error positioned at the node. */
function value(expr: Expr, scope: Scope): unknown {
  const result = run(expr, scope);
  if (!(result instanceof Undefined)) return result;
  const error = result.error();
  error.pos = expr.pos;
  throw error;
}

function evaluateNode(expr: Expr, scope: Scope): unknown {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'name': {
      const found = scope.lookup(expr.name);
      return found === UNDEFINED || found === undefined ? new Undefined(expr.name) : found;
    }
    case 'list':
      return expr.items.map((item) => value(item, scope));
    case 'dict':
      // fromEntries defines own properties, so a '__proto__' key stays a plain key.
      return Object.fromEntries(expr.entries.map(([k, v]) => [dictKey(value(k, scope)), value(v, scope)]));
    case 'attr':
    case 'index':
      return access(expr, scope);
    case 'slice':
      return slice(expr, scope);
    case 'method':
      return call(methods, expr.name, expr.object, expr, scope);
    case 'neg':
    case 'pos':
      return sign(expr.kind, value(expr.operand, scope));
    case 'not':
      return !isTruthy(value(expr.operand, scope));
    case 'and': {
      const left = value(expr.left, scope);
      return isTruthy(left) ? value(expr.right, scope) : left;
    }
    case 'or': {
      const left = value(expr.left, scope);
      return isTruthy(left) ? left : value(expr.right, scope);
    }
    case 'binary':
      return binary(expr.op, value(expr.left, scope), value(expr.right, scope));
    case 'compare':
      return compareChain(expr, scope);
    case 'filter':
      return call(filters, expr.name, expr.subject, expr, scope);
    case 'test': {
      const result = isTruthy(call(tests, expr.name, expr.subject, expr, scope));
      return expr.negated ? !result : result;
    }
    case 'cond':
      if (isTruthy(value(expr.test, scope))) return run(expr.then, scope);
      return expr.otherwise ? run(expr.otherwise, scope) : new Undefined('', "the condition is false and there is no 'else'");
  }
}

function dictKey(key: unknown): string {
  if (typeof key === 'string') return key;
  if (isNumeric(key) || key === null) return pyStr(key);
  throw typeError(`unhashable type: '${typeName(key)}'`);
}

/** One step of a path in messages: `.stdout`, `[0]`, `["some key"]`. */
function pathStep(key: unknown): string {
  if (typeof key === 'string' && /^[A-Za-z_]\w*$/.test(key)) return `.${key}`;
  return typeof key === 'string' || typeof key === 'number' ? `[${JSON.stringify(key)}]` : `[${pyStr(key)}]`;
}

/** Python-like path text for messages: `result.stdout`, `items[0]`, `d["some key"]`; `(...)` for computed bases. */
function describePath(expr: Expr): string {
  if (expr.kind === 'name') return expr.name;
  if (expr.kind === 'attr') return describePath(expr.object) + pathStep(expr.name);
  if (expr.kind === 'index' && expr.index.kind === 'literal') return describePath(expr.object) + pathStep(expr.index.value);
  return '(...)';
}

/** `a.b` and `a[k]`: a missing key yields Undefined; access on Undefined stays the same Undefined (Ansible). */
function access(expr: Expr & { kind: 'attr' | 'index' }, scope: Scope): unknown {
  const object = run(expr.object, scope);
  if (object instanceof Undefined) return object;
  const key = expr.kind === 'attr' ? expr.name : value(expr.index, scope);
  const found = getItem(object, typeof key === 'boolean' ? Number(key) : key);
  return found.found ? found.value : new Undefined(describePath(expr.object) + pathStep(key));
}

function sliceBound(expr: Expr | undefined, scope: Scope): number | undefined {
  if (!expr) return undefined;
  const bound = value(expr, scope);
  if (bound === null) return undefined;
  if (typeof bound !== 'number' || !Number.isInteger(bound)) throw typeError('slice indices must be integers or None');
  return bound;
}

/** Python slicing `s[start:stop:step]` of lists and strings. */
function slice(expr: Expr & { kind: 'slice' }, scope: Scope): unknown {
  const object = value(expr.object, scope);
  if (typeof object !== 'string' && !Array.isArray(object)) throw typeError(`'${typeName(object)}' object is not subscriptable`);
  const items: unknown[] = typeof object === 'string' ? [...object] : object;
  const step = sliceBound(expr.step, scope) ?? 1;
  if (step === 0) throw valueError('slice step cannot be zero');
  const n = items.length;
  const clamp = (i: number | undefined, fallback: number, low: number, high: number) =>
    i === undefined ? fallback : Math.min(Math.max(i < 0 ? i + n : i, low), high);
  const start = clamp(sliceBound(expr.start, scope), step > 0 ? 0 : n - 1, step > 0 ? 0 : -1, step > 0 ? n : n - 1);
  const stop = clamp(sliceBound(expr.stop, scope), step > 0 ? n : -1, step > 0 ? 0 : -1, step > 0 ? n : n - 1);
  const out: unknown[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(items[i]);
  return typeof object === 'string' ? out.join('') : out;
}

function sign(kind: 'neg' | 'pos', operand: unknown): number {
  if (!isNumeric(operand)) throw typeError(`bad operand type for unary ${kind === 'neg' ? '-' : '+'}: '${typeName(operand)}'`);
  return kind === 'neg' ? -Number(operand) : Number(operand);
}

function unsupported(op: string, a: unknown, b: unknown): PhoenixError {
  return typeError(`unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
}

/** Longest string or list `*` may build: `'x' * 10**9` is an error, not an out-of-memory crash. */
const MAX_REPEAT_LENGTH = 10_000_000;

function repeat(sequence: unknown, count: unknown): unknown {
  // Python's bool is an int: 'ab' * true is 'ab'.
  const times = typeof count === 'boolean' ? Number(count) : count;
  if (typeof times !== 'number' || !Number.isInteger(times)) return undefined;
  if ((typeof sequence === 'string' || Array.isArray(sequence)) && sequence.length * times > MAX_REPEAT_LENGTH) {
    throw valueError(`repetition result is too large (over ${MAX_REPEAT_LENGTH} items)`);
  }
  if (typeof sequence === 'string') return sequence.repeat(Math.max(times, 0));
  if (Array.isArray(sequence)) return Array.from({ length: Math.max(times, 0) }, () => sequence).flat();
  return undefined;
}

/** Python arithmetic; `~` is Jinja's concatenation of the `str` of both sides. */
function binary(op: BinaryOp, a: unknown, b: unknown): unknown {
  if (op === '~') return pyStr(a) + pyStr(b);
  if (op === '+') {
    if (typeof a === 'string' && typeof b === 'string') return a + b;
    if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  }
  if (op === '*') {
    const repeated = repeat(a, b) ?? repeat(b, a);
    if (repeated !== undefined) return repeated;
  }
  if (!isNumeric(a) || !isNumeric(b)) throw unsupported(op, a, b);
  const [x, y] = [Number(a), Number(b)];
  if (y === 0 && (op === '/' || op === '//' || op === '%')) throw valueError('division by zero');
  switch (op) {
    case '+': return x + y;
    case '-': return x - y;
    case '*': return x * y;
    case '/': return x / y;
    case '//': return Math.floor(x / y);
    case '%': return x - y * Math.floor(x / y);
    case '**': return x ** y;
  }
}

function compareOnce(op: CompareOp, a: unknown, b: unknown): boolean {
  switch (op) {
    case '==': return pyEquals(a, b);
    case '!=': return !pyEquals(a, b);
    case 'in': return pyContains(b, a);
    case 'not in': return !pyContains(b, a);
    case '<': return pyCompare(a, b, op) < 0;
    case '<=': return pyCompare(a, b, op) <= 0;
    case '>': return pyCompare(a, b, op) > 0;
    case '>=': return pyCompare(a, b, op) >= 0;
  }
}

/** `a < b < c` is `a < b and b < c`, evaluating `b` once (Python). */
function compareChain(expr: Expr & { kind: 'compare' }, scope: Scope): boolean {
  let left = value(expr.first, scope);
  for (const { op, operand, pos } of expr.rest) {
    const right = value(operand, scope);
    let result: boolean;
    try {
      result = compareOnce(op, left, right);
    } catch (error) {
      if (error instanceof PhoenixError && !error.pos) error.pos = pos;
      throw error;
    }
    if (!result) return false;
    left = right;
  }
  return true;
}

/** Runs a filter, test or method with evaluated arguments; only `default`-like callables see Undefined. */
function call(table: CallableTable, name: string, subject: Expr, args: CallArgs, scope: Scope): unknown {
  const callable = findCallable(table, name);
  if (!callable) throw new PhoenixError('E_EXPR_UNKNOWN_FILTER', `unknown '${name}'`);
  const raw = callable.acceptsUndefined ? (e: Expr) => run(e, scope) : (e: Expr) => value(e, scope);
  // The subject first, as Jinja does, so `x.missing | lower` reports x.missing rather than an argument.
  const self = raw(subject);
  const positional = args.args.map(raw);
  const keywords = Object.fromEntries(args.kwargs.map(({ name: key, value: v }) => [key, raw(v)]));
  return callable.run(self, positional, keywords);
}
