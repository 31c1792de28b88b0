import type { Callable, CallableTable } from './callable.js';
import { pyRegex } from './regex.js';
import { compareVersions } from './version.js';
import {
  isMapping, isNumeric, isTruthy, iterate, ownValue, pyCompare, pyContains, pyEquals, pyStr, typeError, typeName, Undefined,
  valueError,
} from './values.js';

type Flag = 'failed' | 'changed' | 'skipped' | 'unreachable';

/**
 * Ansible's tests on a registered result: the key when the result has it, else (a loop result) the items in
 * `results`: changed or failed when any item is, skipped when all are (as ansible-core's loop result says).
 */
export function resultFlag(result: unknown, flag: Flag): boolean {
  if (!isMapping(result)) throw typeError(`the '${flag}' test expects a dictionary, got '${typeName(result)}'`);
  const own = ownValue(result, flag);
  if (own.found) return isTruthy(own.value);
  const items = ownValue(result, 'results').value;
  if (!Array.isArray(items) || flag === 'unreachable') return false;
  const flagged = (item: unknown) => isMapping(item) && resultFlag(item, flag);
  // An empty loop is skipped: ansible-core registers `skipped: true, skipped_reason: 'No items in the list'`.
  return flag === 'skipped' ? items.every(flagged) : items.some(flagged);
}

function predicate(run: (value: unknown) => boolean): Callable {
  return { min: 0, max: 0, run };
}

function resultTest(flag: Flag, negate = false): Callable {
  return predicate((value) => resultFlag(value, flag) !== negate);
}

function compare(check: (order: number) => boolean, op: string): Callable {
  return { min: 1, max: 1, run: (value, [other]) => check(pyCompare(value, other, op)) };
}

function regexTest(anchor: 'match' | 'search' | 'fullmatch'): Callable {
  return {
    min: 1,
    max: 1,
    kwargs: ['ignorecase', 'multiline'],
    run: (value, [pattern], kwargs) => {
      const source = anchor === 'fullmatch' ? `(?:${pyStr(pattern)})$` : pyStr(pattern);
      const regex = pyRegex(source, kwargs, anchor === 'search' ? '' : 'y');
      return regex.test(pyStr(value));
    },
  };
}

const VERSION_OPS: Record<string, (order: number) => boolean> = {
  '<': (o) => o < 0, lt: (o) => o < 0, '<=': (o) => o <= 0, le: (o) => o <= 0,
  '>': (o) => o > 0, gt: (o) => o > 0, '>=': (o) => o >= 0, ge: (o) => o >= 0,
  '==': (o) => o === 0, '=': (o) => o === 0, eq: (o) => o === 0,
  '!=': (o) => o !== 0, '<>': (o) => o !== 0, ne: (o) => o !== 0,
};

const version: Callable = {
  min: 1,
  max: 2,
  kwargs: ['operator', 'strict'],
  run: (value, [other, op], kwargs) => {
    const name = pyStr(op ?? kwargs.operator ?? 'eq');
    if (!Object.prototype.hasOwnProperty.call(VERSION_OPS, name)) throw valueError(`invalid version operator '${name}'`);
    const ordering = !['==', '=', 'eq', '!=', '<>', 'ne'].includes(name);
    return VERSION_OPS[name](compareVersions(pyStr(value), pyStr(other), kwargs.strict === true, ordering));
  },
};

function contains(container: unknown, items: unknown): boolean {
  return iterate(items, 'subset').every((item) => pyContains(container, item));
}

const lt = compare((o) => o < 0, '<');
const le = compare((o) => o <= 0, '<=');
const gt = compare((o) => o > 0, '>');
const ge = compare((o) => o >= 0, '>=');
const eq: Callable = { min: 1, max: 1, run: (value, [other]) => pyEquals(value, other) };
const ne: Callable = { min: 1, max: 1, run: (value, [other]) => !pyEquals(value, other) };

/** Python's str.islower/isupper: at least one cased character, and all of them in that case. */
function pyCase(text: string, which: 'lower' | 'upper'): boolean {
  const hasCased = text.toLowerCase() !== text.toUpperCase();
  return hasCased && text === (which === 'lower' ? text.toLowerCase() : text.toUpperCase());
}

function numberOf(value: unknown): number {
  if (!isNumeric(value)) throw typeError(`expected a number, got '${typeName(value)}'`);
  return Number(value);
}

/** Every test usable after `is` / `is not`: Jinja's common ones plus Ansible's result, regex and version tests. */
export const tests: CallableTable = {
  defined: { min: 0, max: 0, acceptsUndefined: true, run: (v) => !(v instanceof Undefined) },
  undefined: { min: 0, max: 0, acceptsUndefined: true, run: (v) => v instanceof Undefined },
  none: { min: 0, max: 0, acceptsUndefined: true, run: (v) => v === null },
  boolean: predicate((v) => typeof v === 'boolean'),
  true: predicate((v) => v === true),
  false: predicate((v) => v === false),
  truthy: predicate((v) => isTruthy(v)),
  falsy: predicate((v) => !isTruthy(v)),
  string: predicate((v) => typeof v === 'string'),
  // Python's bool is a Number, so Jinja's `true is number` is true; `integer`/`float` exclude it.
  number: predicate(isNumeric),
  integer: predicate((v) => typeof v === 'number' && Number.isInteger(v)),
  float: predicate((v) => typeof v === 'number' && !Number.isInteger(v)),
  mapping: predicate(isMapping),
  sequence: predicate((v) => typeof v === 'string' || Array.isArray(v) || isMapping(v)),
  iterable: predicate((v) => typeof v === 'string' || Array.isArray(v) || isMapping(v)),
  lower: predicate((v) => pyCase(pyStr(v), 'lower')),
  upper: predicate((v) => pyCase(pyStr(v), 'upper')),
  even: predicate((v) => numberOf(v) % 2 === 0),
  odd: predicate((v) => Math.abs(numberOf(v) % 2) === 1),
  divisibleby: { min: 1, max: 1, run: (v, [n]) => numberOf(v) % numberOf(n) === 0 },
  eq, equalto: eq, '==': eq, ne, '!=': ne,
  lt, lessthan: lt, '<': lt, le, '<=': le, gt, greaterthan: gt, '>': gt, ge, '>=': ge,
  in: { min: 1, max: 1, run: (v, [container]) => pyContains(container, v) },
  contains: { min: 1, max: 1, run: (v, [item]) => pyContains(v, item) },
  subset: { min: 1, max: 1, run: (v, [other]) => contains(other, v) },
  superset: { min: 1, max: 1, run: (v, [other]) => contains(v, other) },
  any: predicate((v) => iterate(v, 'any').some(isTruthy)),
  all: predicate((v) => iterate(v, 'all').every(isTruthy)),
  sameas: { min: 1, max: 1, run: (v, [other]) => v === other },
  failed: resultTest('failed'),
  failure: resultTest('failed'),
  succeeded: resultTest('failed', true),
  success: resultTest('failed', true),
  successful: resultTest('failed', true),
  changed: resultTest('changed'),
  change: resultTest('changed'),
  skipped: resultTest('skipped'),
  skip: resultTest('skipped'),
  unreachable: resultTest('unreachable'),
  reachable: resultTest('unreachable', true),
  match: regexTest('match'),
  search: regexTest('search'),
  regex: {
    ...regexTest('search'),
    kwargs: ['ignorecase', 'multiline', 'match_type'],
    run: (v, [p], kw) => (kw.match_type === 'match' ? regexTest('match') : regexTest('search')).run(v, [p], kw),
  },
  version,
  version_compare: version,
};
