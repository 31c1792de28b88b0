import { PhoenixError } from '../errors.js';
import { findCallable, type Callable, type CallableTable } from './callable.js';
import { group, pyRegex, pySub } from './regex.js';
import { tests } from './tests.js';
import {
  getItem, isMapping, isNumeric, isTruthy, iterate, pyCompare, pyEquals, pyStr, typeError, typeName, Undefined, valueError,
} from './values.js';

/** `a.b.c` on an item, for the `attribute=` arguments of Jinja; missing parts give Undefined. */
export function attribute(item: unknown, path: unknown): unknown {
  let value = item;
  for (const part of String(path).split('.')) {
    const key = /^\d+$/.test(part) && !isMapping(value) ? Number(part) : part;
    const found = getItem(value, key);
    if (!found.found) return new Undefined(`${pyStr(path)}`, `item has no attribute '${pyStr(path)}'`);
    value = found.value;
  }
  return value;
}

/** Ansible's `bool`: true for true, 1, and 'yes'/'on'/'1'/'true' in any case. */
export function toBool(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 1) return true;
  if (typeof value !== 'string') return false;
  return ['yes', 'on', '1', 'true'].includes(value.toLowerCase());
}

/** Python `int(text, base)`: surrounding spaces, a sign, `0x` with base 16; undefined when it is not an integer. */
function parseIntStrict(text: string, base: number): number | undefined {
  const prefixes: Record<number, string> = { 2: '0b', 8: '0o', 16: '0x' };
  let body = text.trim().toLowerCase();
  const sign = body.startsWith('-') ? -1 : 1;
  if (body.startsWith('-') || body.startsWith('+')) body = body.slice(1);
  if (prefixes[base] && body.startsWith(prefixes[base])) body = body.slice(2);
  const digits = '0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, base);
  if (body === '' || [...body].some((c) => !digits.includes(c))) return undefined;
  return sign * parseInt(body, base);
}

function parseFloatStrict(value: unknown): number | undefined {
  if (isNumeric(value)) return Number(value);
  if (typeof value !== 'string') return undefined;
  const text = value.trim().toLowerCase();
  if (/^[+-]?(inf|infinity)$/.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(text)) return NaN;
  return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(text) ? Number(text) : undefined;
}

/** Jinja's `int`: strings in `base`, floats truncated, `'3.7'` is 3, anything else is `default`. */
function toInt(value: unknown, fallback: unknown = 0, base: unknown = 10): unknown {
  if (typeof value === 'string') {
    const parsed = parseIntStrict(value, Number(base));
    if (parsed !== undefined) return parsed;
  }
  const float = parseFloatStrict(value);
  return float !== undefined && Number.isFinite(float) ? Math.trunc(float) : fallback;
}

function length(value: unknown): number {
  if (typeof value === 'string') return [...value].length;
  if (Array.isArray(value)) return value.length;
  if (isMapping(value)) return Object.keys(value).length;
  throw typeError(`object of type '${typeName(value)}' has no len()`);
}

/** The sort key of Jinja's `sort`/`min`/`max`/`unique`: lowercased strings unless case_sensitive. */
function sortKey(kwargs: Record<string, unknown>): (item: unknown) => unknown {
  return (item) => {
    const value = kwargs.attribute !== undefined && kwargs.attribute !== null ? attribute(item, kwargs.attribute) : item;
    if (value instanceof Undefined) throw value.error();
    return typeof value === 'string' && kwargs.case_sensitive !== true ? value.toLowerCase() : value;
  };
}

function sorted(value: unknown, kwargs: Record<string, unknown>): unknown[] {
  const key = sortKey(kwargs);
  const keyed = iterate(value, 'sort').map((item) => ({ item, key: key(item) }));
  keyed.sort((a, b) => pyCompare(a.key, b.key));
  if (kwargs.reverse === true) keyed.reverse();
  return keyed.map((entry) => entry.item);
}

function extreme(value: unknown, kwargs: Record<string, unknown>, sign: number, name: string): unknown {
  const key = sortKey(kwargs);
  const items = iterate(value, name);
  if (items.length === 0) return new Undefined(name, `no ${name} item, sequence was empty`);
  return items.reduce((best, item) => (pyCompare(key(item), key(best)) * sign > 0 ? item : best));
}

function unique(value: unknown, kwargs: Record<string, unknown>): unknown[] {
  const key = sortKey(kwargs);
  const seen: unknown[] = [];
  return iterate(value, 'unique').filter((item) => {
    const k = key(item);
    if (seen.some((s) => pyEquals(s, k))) return false;
    seen.push(k);
    return true;
  });
}

function firstOrLast(value: unknown, which: 'first' | 'last'): unknown {
  const items = iterate(value, which);
  if (items.length === 0) return new Undefined(which, `no ${which} item, sequence was empty`);
  return which === 'first' ? items[0] : items[items.length - 1];
}

function regexSearch(value: unknown, args: unknown[], kwargs: Record<string, unknown>): unknown {
  const match = pyRegex(pyStr(args[0]), kwargs).exec(pyStr(value));
  if (!match) return null;
  const refs = args.slice(1).map((arg) => {
    const ref = /^\\(?:g<(\w+)>|(\d+))$/.exec(pyStr(arg));
    if (!ref) throw valueError(`regex_search: unknown argument ${pyStr(arg)}`);
    return ref[1] ?? ref[2];
  });
  return refs.length === 0 ? match[0] : refs.map((ref) => group(match, ref) ?? null);
}

function regexFindall(value: unknown, pattern: unknown, kwargs: Record<string, unknown>): unknown[] {
  const regex = pyRegex(pyStr(pattern), kwargs, 'g');
  return [...pyStr(value).matchAll(regex)].map((m) =>
    m.length === 1 ? m[0] : m.length === 2 ? (m[1] ?? '') : m.slice(1).map((g) => g ?? ''),
  );
}

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(value: number, precision: number): number {
  const factor = 10 ** precision;
  const scaled = value * factor;
  const floor = Math.floor(scaled);
  const diff = scaled - floor;
  const rounded = diff > 0.5 || (diff === 0.5 && floor % 2 !== 0) ? floor + 1 : floor;
  return rounded / factor;
}

function round(value: unknown, precision: unknown = 0, method: unknown = 'common'): number {
  if (!isNumeric(value)) throw typeError(`round: expected a number, got '${typeName(value)}'`);
  const p = Number(precision);
  const factor = 10 ** p;
  if (method === 'ceil') return Math.ceil(Number(value) * factor) / factor;
  if (method === 'floor') return Math.floor(Number(value) * factor) / factor;
  if (method !== 'common') throw valueError(`round: method must be common, ceil or floor`);
  return roundHalfEven(Number(value), p);
}

function runTest(name: unknown, subject: unknown, args: unknown[]): boolean {
  const test = findCallable(tests, pyStr(name));
  if (!test) throw new PhoenixError('E_EXPR_UNKNOWN_TEST', `unknown test '${pyStr(name)}'`);
  return isTruthy(test.run(subject, args, {}));
}

function select(value: unknown, args: unknown[], keep: boolean, byAttribute: boolean): unknown[] {
  return iterate(value, 'select').filter((item) => {
    const subject = byAttribute ? attribute(item, args[0]) : item;
    const rest = byAttribute ? args.slice(1) : args;
    if (rest.length === 0) return (subject instanceof Undefined ? false : isTruthy(subject)) === keep;
    return runTest(rest[0], subject, rest.slice(1)) === keep;
  });
}

function map(value: unknown, args: unknown[], kwargs: Record<string, unknown>): unknown[] {
  const items = iterate(value, 'map');
  if (kwargs.attribute !== undefined) {
    return items.map((item) => {
      const found = attribute(item, kwargs.attribute);
      if (!(found instanceof Undefined)) return found;
      if ('default' in kwargs) return kwargs.default;
      throw found.error();
    });
  }
  if (args.length === 0) throw typeError('map: give a filter name or attribute=');
  const filter = findCallable(filters, pyStr(args[0]));
  if (!filter) throw new PhoenixError('E_EXPR_UNKNOWN_FILTER', `unknown filter '${pyStr(args[0])}'`);
  return items.map((item) => filter.run(item, args.slice(1), {}));
}

function setOp(value: unknown, other: unknown, op: 'union' | 'intersect' | 'difference' | 'symmetric_difference'): unknown[] {
  const a = unique(value, { case_sensitive: true });
  const b = unique(other, { case_sensitive: true });
  const inB = (x: unknown) => b.some((y) => pyEquals(x, y));
  const inA = (y: unknown) => a.some((x) => pyEquals(x, y));
  if (op === 'union') return [...a, ...b.filter((y) => !inA(y))];
  if (op === 'intersect') return a.filter(inB);
  if (op === 'difference') return a.filter((x) => !inB(x));
  return [...a.filter((x) => !inB(x)), ...b.filter((y) => !inA(y))];
}

function string(run: (text: string, args: unknown[]) => unknown, max = 0, min = 0): Callable {
  return { min, max, run: (value, args) => run(pyStr(value), args) };
}

function defaultFilter(): Callable {
  return {
    min: 0,
    max: 2,
    acceptsUndefined: true,
    run: (value, [fallback = '', alsoFalsy = false]) =>
      value instanceof Undefined || (alsoFalsy === true && !isTruthy(value)) ? fallback : value,
  };
}

const sortKwargs = ['reverse', 'case_sensitive', 'attribute'] as const;
const regexKwargs = ['ignorecase', 'multiline'] as const;

/**
 * Every filter of the condition language: Jinja's and Ansible's common ones, with their semantics.
 * `d` is `default`, `count` is `length`.
 */
export const filters: CallableTable = {
  default: defaultFilter(),
  d: defaultFilter(),
  mandatory: {
    min: 0,
    max: 1,
    acceptsUndefined: true,
    run: (value, [msg]) => {
      if (!(value instanceof Undefined)) return value;
      const message = msg === undefined || msg instanceof Undefined ? `Mandatory variable '${value.path}' not defined.` : pyStr(msg);
      throw new PhoenixError('E_UNDEFINED_VAR', message);
    },
  },
  bool: { min: 0, max: 0, run: toBool },
  int: { min: 0, max: 2, kwargs: ['default', 'base'], run: (v, [d, b], kw) => toInt(v, d ?? kw.default ?? 0, b ?? kw.base ?? 10) },
  float: {
    min: 0,
    max: 1,
    kwargs: ['default'],
    run: (v, [d], kw) => parseFloatStrict(v) ?? d ?? kw.default ?? 0,
  },
  string: { min: 0, max: 0, run: pyStr },
  length: { min: 0, max: 0, run: length },
  count: { min: 0, max: 0, run: length },
  lower: string((s) => s.toLowerCase()),
  upper: string((s) => s.toUpperCase()),
  capitalize: string((s) => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase()),
  trim: string((s) => s.trim()),
  replace: string((s, [a, b, n]) => {
    const [from, to] = [pyStr(a), pyStr(b)];
    const limit = n === undefined || n === null ? Infinity : Number(n);
    let out = s;
    let at = 0;
    for (let done = 0; done < limit; done++) {
      const found = out.indexOf(from, at);
      if (found === -1) break;
      out = out.slice(0, found) + to + out.slice(found + from.length);
      at = found + to.length + (from === '' ? 1 : 0);
    }
    return out;
  }, 3, 2),
  split: string((s, [sep, max]) => pySplit(s, sep, max), 2),
  first: { min: 0, max: 0, run: (v) => firstOrLast(v, 'first') },
  last: { min: 0, max: 0, run: (v) => firstOrLast(v, 'last') },
  join: {
    min: 0,
    max: 1,
    kwargs: ['attribute'],
    run: (v, [sep = ''], kw) =>
      iterate(v, 'join')
        .map((item) => pyStr(kw.attribute === undefined ? item : attribute(item, kw.attribute)))
        .join(pyStr(sep)),
  },
  list: { min: 0, max: 0, run: (v) => [...iterate(v, 'list')] },
  unique: { min: 0, max: 0, kwargs: ['case_sensitive', 'attribute'], run: (v, _a, kw) => unique(v, kw) },
  sort: { min: 0, max: 0, kwargs: sortKwargs, run: (v, _a, kw) => sorted(v, kw) },
  reverse: {
    min: 0,
    max: 0,
    run: (v) => (typeof v === 'string' ? [...v].reverse().join('') : [...iterate(v, 'reverse')].reverse()),
  },
  min: { min: 0, max: 0, kwargs: ['case_sensitive', 'attribute'], run: (v, _a, kw) => extreme(v, kw, -1, 'min') },
  max: { min: 0, max: 0, kwargs: ['case_sensitive', 'attribute'], run: (v, _a, kw) => extreme(v, kw, 1, 'max') },
  sum: {
    min: 0,
    max: 0,
    kwargs: ['attribute', 'start'],
    run: (v, _a, kw) =>
      iterate(v, 'sum').reduce((total: number, item) => {
        const value = kw.attribute === undefined ? item : attribute(item, kw.attribute);
        if (!isNumeric(value)) throw typeError(`sum: unsupported operand type '${typeName(value)}'`);
        return total + Number(value);
      }, Number(kw.start ?? 0)),
  },
  abs: {
    min: 0,
    max: 0,
    run: (v) => {
      if (!isNumeric(v)) throw typeError(`bad operand type for abs(): '${typeName(v)}'`);
      return Math.abs(Number(v));
    },
  },
  round: { min: 0, max: 2, kwargs: ['precision', 'method'], run: (v, [p, m], kw) => round(v, p ?? kw.precision, m ?? kw.method) },
  regex_search: { min: 1, max: 3, kwargs: regexKwargs, run: regexSearch },
  regex_findall: { min: 1, max: 1, kwargs: regexKwargs, run: (v, [p], kw) => regexFindall(v, p, kw) },
  regex_replace: {
    min: 0,
    max: 2,
    kwargs: [...regexKwargs, 'count'],
    run: (v, [p = '', r = ''], kw) => pySub(pyRegex(pyStr(p), kw), pyStr(r), pyStr(v), Number(kw.count ?? 0)),
  },
  // Python 3.7+ re.escape: only the characters special in a pattern.
  regex_escape: string((s) => s.replace(/[()[\]{}?*+\-|^$\\.&~# \t\n\r\v\f]/g, '\\$&')),
  ternary: {
    min: 1,
    max: 3,
    run: (v, [yes, no = null, none]) => (v === null && none !== undefined ? none : isTruthy(v) ? yes : no),
  },
  select: { min: 0, max: 9, run: (v, args) => select(v, args, true, false) },
  reject: { min: 0, max: 9, run: (v, args) => select(v, args, false, false) },
  selectattr: { min: 1, max: 9, run: (v, args) => select(v, args, true, true) },
  rejectattr: { min: 1, max: 9, run: (v, args) => select(v, args, false, true) },
  map: { min: 0, max: 9, kwargs: ['attribute', 'default'], run: map },
  union: { min: 1, max: 1, run: (v, [o]) => setOp(v, o, 'union') },
  intersect: { min: 1, max: 1, run: (v, [o]) => setOp(v, o, 'intersect') },
  difference: { min: 1, max: 1, run: (v, [o]) => setOp(v, o, 'difference') },
  symmetric_difference: { min: 1, max: 1, run: (v, [o]) => setOp(v, o, 'symmetric_difference') },
  flatten: { min: 0, max: 1, kwargs: ['levels'], run: (v, [levels], kw) => flatten(v, levels ?? kw.levels) },
  type_debug: { min: 0, max: 0, run: (v) => (v === null ? 'NoneType' : typeName(v)) },
  from_json: { min: 0, max: 0, run: fromJson },
  to_json: { min: 0, max: 0, run: pyJson },
  dict2items: { min: 0, max: 0, kwargs: ['key_name', 'value_name'], run: (v, _a, kw) => dict2items(v, kw) },
  items2dict: { min: 0, max: 0, kwargs: ['key_name', 'value_name'], run: (v, _a, kw) => items2dict(v, kw) },
  basename: string((p) => p.slice(p.lastIndexOf('/') + 1)),
  dirname: string(dirname),
};

function fromJson(value: unknown): unknown {
  try {
    return JSON.parse(pyStr(value)); // JSON.parse defines own properties: a "__proto__" key stays a key
  } catch (error) {
    throw valueError(`from_json: ${(error as Error).message}`);
  }
}

/** Python `json.dumps` with its defaults: `", "` and `": "` separators, non-ASCII escaped. */
function pyJson(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  }
  if (Array.isArray(value)) return `[${value.map(pyJson).join(', ')}]`;
  if (isMapping(value)) return `{${Object.keys(value).map((k) => `${pyJson(k)}: ${pyJson(value[k])}`).join(', ')}}`;
  if (typeof value === 'number' && !Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  if (value === null || typeof value === 'boolean' || typeof value === 'number') return JSON.stringify(value);
  throw typeError(`to_json: object of type '${typeName(value)}' is not JSON serializable`);
}

function dict2items(value: unknown, kwargs: Record<string, unknown>): unknown[] {
  if (!isMapping(value)) throw typeError(`dict2items requires a dictionary, got '${typeName(value)}'`);
  const [key, val] = [pyStr(kwargs.key_name ?? 'key'), pyStr(kwargs.value_name ?? 'value')];
  return Object.keys(value).map((k) => Object.fromEntries([[key, k], [val, value[k]]]));
}

function items2dict(value: unknown, kwargs: Record<string, unknown>): Record<string, unknown> {
  const [key, val] = [pyStr(kwargs.key_name ?? 'key'), pyStr(kwargs.value_name ?? 'value')];
  const entries = iterate(value, 'items2dict').map((item) => {
    const k = isMapping(item) ? getItem(item, key) : { found: false };
    const v = isMapping(item) ? getItem(item, val) : { found: false };
    if (!k.found || !v.found) throw typeError(`items2dict requires a list of dictionaries with '${key}' and '${val}'`);
    return [pyStr(k.value), v.value] as const;
  });
  return Object.fromEntries(entries);
}

/** Python os.path.dirname: everything before the last '/', without trailing slashes unless it is all slashes. */
function dirname(path: string): string {
  const head = path.slice(0, path.lastIndexOf('/') + 1);
  return head && !/^\/+$/.test(head) ? head.replace(/\/+$/, '') : head;
}

function flatten(value: unknown, levels: unknown): unknown[] {
  const depth = levels === undefined || levels === null ? Infinity : Number(levels);
  const items = iterate(value, 'flatten');
  return depth <= 0 ? items : items.flatMap((item) => (Array.isArray(item) ? flatten(item, depth - 1) : [item]));
}

/** Python `str.split(sep=None, maxsplit=-1)`: no separator splits on runs of whitespace and drops empty ends. */
export function pySplit(text: string, sep: unknown = null, maxsplit: unknown = -1): string[] {
  const max = maxsplit === undefined || maxsplit === null ? -1 : Number(maxsplit);
  if (sep === null || sep === undefined) {
    const parts: string[] = [];
    let rest = text.replace(/^\s+/, '');
    while (rest !== '' && (max < 0 || parts.length < max)) {
      const m = /\s+/.exec(rest);
      if (!m) break;
      parts.push(rest.slice(0, m.index));
      rest = rest.slice(m.index + m[0].length);
    }
    if (rest !== '') parts.push(rest);
    return parts;
  }
  const separator = pyStr(sep);
  if (separator === '') throw valueError('empty separator');
  const parts = text.split(separator);
  if (max < 0 || parts.length <= max + 1) return parts;
  return [...parts.slice(0, max), parts.slice(max).join(separator)];
}
