import { PhoenixError } from '../errors.js';

/** What {@link Scope.lookup} returns for a variable that does not exist. */
export const UNDEFINED: unique symbol = Symbol('phoenix.expr.undefined');

/** Where an expression finds its variables (play vars, facts, registered results...). */
export interface Scope {
  lookup(name: string): unknown | typeof UNDEFINED;
}

/**
 * The value of a missing variable, key or attribute while an expression runs. It remembers the path that was
 * missing so the error raised when it is used names it (`'result.stdout' is undefined`).
 */
export class Undefined {
  constructor(
    readonly path: string,
    /** Replaces the default message, e.g. for `[] | first`. */
    readonly message?: string,
  ) {}

  error(): PhoenixError {
    return new PhoenixError('E_UNDEFINED_VAR', this.message ?? `'${this.path}' is undefined`);
  }
}

/** A type error (`'a' < 1`, `[] | lower`...), positioned later by the evaluator. */
export function typeError(message: string): PhoenixError {
  return new PhoenixError('E_EXPR_TYPE', message);
}

/** A value error (division by zero, an invalid regular expression...). */
export function valueError(message: string): PhoenixError {
  return new PhoenixError('E_EXPR_VALUE', message);
}

/** Returns the value, or throws the "is undefined" error when it is {@link Undefined}. */
export function defined<T>(value: T | Undefined): T {
  if (value instanceof Undefined) throw value.error();
  return value;
}

/** A plain object (YAML/JSON mapping); class instances and null are not mappings. */
export function isMapping(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A number or a boolean: Python's bool is an int, so both take part in arithmetic and comparisons. */
export function isNumeric(value: unknown): value is number | boolean {
  return typeof value === 'number' || typeof value === 'boolean';
}

/** Python's name for the type of a value, for error messages. */
export function typeName(value: unknown): string {
  if (value instanceof Undefined) return 'Undefined';
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'string') return 'str';
  if (Array.isArray(value)) return 'list';
  if (isMapping(value)) return 'dict';
  return 'object';
}

/**
 * Reads an own data property only: never the prototype chain (`__proto__`, `constructor`) and never a getter.
 * Returns `found: false` when there is nothing to read.
 */
export function ownValue(object: object, key: string): { found: boolean; value?: unknown } {
  const descriptor = Object.getOwnPropertyDescriptor(object, key);
  // A key holding JavaScript's undefined (`{ msg: undefined }` from a spread) is as missing as an absent one.
  if (!descriptor || !('value' in descriptor) || descriptor.value === undefined) return { found: false };
  return { found: true, value: descriptor.value };
}

/**
 * `object[key]` with Python/Jinja rules: dict keys, list and string indexes (negative from the end).
 * Returns `found: false` for anything missing, which the caller turns into {@link Undefined}.
 */
export function getItem(object: unknown, key: unknown): { found: boolean; value?: unknown } {
  if (isMapping(object)) {
    if (typeof key === 'string') return ownValue(object, key);
    if (typeof key === 'number') return ownValue(object, String(key));
    return { found: false };
  }
  if ((Array.isArray(object) || typeof object === 'string') && typeof key === 'number' && Number.isInteger(key)) {
    const index = key < 0 ? object.length + key : key;
    if (index < 0 || index >= object.length) return { found: false };
    return { found: true, value: object[index] };
  }
  return { found: false };
}

/** Python truthiness: `''`, `0`, `[]`, `{}`, None and false are false. Using an undefined value is an error. */
export function isTruthy(value: unknown): boolean {
  if (value instanceof Undefined) throw value.error();
  if (value === UNDEFINED) throw new PhoenixError('E_UNDEFINED_VAR', 'an undefined value was used');
  if (value === null || value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string' || Array.isArray(value)) return value.length > 0;
  if (isMapping(value)) return Object.keys(value).length > 0;
  return true;
}

/** Python `==`: deep for lists and dicts, `1 == 1.0 == true`. */
export function pyEquals(a: unknown, b: unknown): boolean {
  if (isNumeric(a) && isNumeric(b)) return Number(a) === Number(b);
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => pyEquals(item, b[i]));
  }
  if (isMapping(a) && isMapping(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => ownValue(b, key).found && pyEquals(a[key], b[key]));
  }
  if (a === undefined) return b === null || b === undefined;
  if (b === undefined) return a === null;
  return a === b;
}

/** Python ordering (`<` and friends): numbers, strings, lists; anything else is a type error naming `op`. */
export function pyCompare(a: unknown, b: unknown, op = '<'): number {
  if (isNumeric(a) && isNumeric(b)) return Math.sign(Number(a) - Number(b));
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (!pyEquals(a[i], b[i])) return pyCompare(a[i], b[i], op);
    }
    return Math.sign(a.length - b.length);
  }
  throw typeError(`'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  return String(value);
}

/** Python `repr` of a string: single quotes unless the text has one and no double quote. */
function quoteString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const body = text
    .replace(/\\/g, '\\\\')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t');
  return quote + (quote === "'" ? body.replace(/'/g, "\\'") : body) + quote;
}

/** Python `repr`, as seen inside `str([...])`. */
export function pyRepr(value: unknown): string {
  if (typeof value === 'string') return quoteString(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (isMapping(value)) {
    return `{${Object.keys(value).map((key) => `${quoteString(key)}: ${pyRepr(value[key])}`).join(', ')}}`;
  }
  return pyStr(value);
}

/** Python `str`: what `~`, `| string` and `| join` produce. */
export function pyStr(value: unknown): string {
  if (value instanceof Undefined) throw value.error();
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return formatNumber(value);
  if (Array.isArray(value) || isMapping(value)) return pyRepr(value);
  return String(value);
}

/** Python `x in container`: list membership, substring, dict key. */
export function pyContains(container: unknown, item: unknown): boolean {
  if (typeof container === 'string') {
    if (typeof item !== 'string') {
      throw typeError(`'in <string>' requires string as left operand, not ${typeName(item)}`);
    }
    return container.includes(item);
  }
  if (Array.isArray(container)) return container.some((element) => pyEquals(element, item));
  if (isMapping(container)) {
    if (Array.isArray(item) || isMapping(item)) throw typeError(`unhashable type: '${typeName(item)}'`);
    return (typeof item === 'string' || typeof item === 'number') && ownValue(container, String(item)).found;
  }
  throw typeError(`argument of type '${typeName(container)}' is not iterable`);
}

/** The items of something iterable, Python style: a string's characters, a dict's keys. */
export function iterate(value: unknown, what: string): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return [...value];
  if (isMapping(value)) return Object.keys(value);
  throw typeError(`${what}: '${typeName(value)}' object is not iterable`);
}
