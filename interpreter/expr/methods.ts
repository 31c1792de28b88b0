import type { Callable, CallableTable } from './callable.js';
import { pySplit } from './filters.js';
import { isMapping, iterate, ownValue, pyEquals, pyStr, typeError, typeName, valueError } from './values.js';

type Receiver = 'str' | 'list' | 'dict';

/** A method that exists on some Python types only: `'a'.startswith(...)`, `d.get(...)`, `l.index(...)`. */
function method(name: string, min: number, max: number, impl: Partial<Record<Receiver, (self: never, args: unknown[]) => unknown>>): Callable {
  return {
    min,
    max,
    run: (self, args) => {
      const kind = typeName(self);
      const run = (impl as Record<string, ((self: unknown, args: unknown[]) => unknown) | undefined>)[kind];
      if (!run) throw typeError(`'${kind}' object has no attribute '${name}'`);
      return run(self, args);
    },
  };
}

/** `startswith(prefix)` where prefix may be a tuple (list) of prefixes, as in Python. */
function affix(check: (self: string, part: string) => boolean) {
  return (self: string, [part]: unknown[]) =>
    Array.isArray(part) ? part.some((p) => check(self, pyStr(p))) : check(self, pyStr(part));
}

function strip(side: 'both' | 'start' | 'end') {
  return (self: string, [chars]: unknown[]) => {
    const set = chars === undefined || chars === null ? undefined : pyStr(chars);
    const strippable = (c: string) => (set === undefined ? /\s/.test(c) : set.includes(c));
    let [start, end] = [0, self.length];
    while (side !== 'end' && start < end && strippable(self[start])) start++;
    while (side !== 'start' && end > start && strippable(self[end - 1])) end--;
    return self.slice(start, end);
  };
}

function index(self: string | unknown[], [item]: unknown[]): number {
  const found = typeof self === 'string' ? self.indexOf(pyStr(item)) : self.findIndex((x) => pyEquals(x, item));
  if (found === -1) throw valueError(`${pyStr(item)} is not in ${typeof self === 'string' ? 'string' : 'list'}`);
  return found;
}

function count(self: string | unknown[], [item]: unknown[]): number {
  if (Array.isArray(self)) return self.filter((x) => pyEquals(x, item)).length;
  const part = pyStr(item);
  return part === '' ? self.length + 1 : self.split(part).length - 1;
}

/**
 * The Python methods conditions commonly call on strings, lists and dicts. Only these names parse, and each
 * checks the type it is called on: no attribute of a JavaScript object is ever reachable this way.
 */
export const methods: CallableTable = {
  startswith: method('startswith', 1, 1, { str: affix((s, p) => s.startsWith(p)) }),
  endswith: method('endswith', 1, 1, { str: affix((s, p) => s.endsWith(p)) }),
  split: method('split', 0, 2, { str: (s: string, [sep, max]) => pySplit(s, sep, max) }),
  splitlines: method('splitlines', 0, 0, { str: (s: string) => s.split(/\r\n|\r|\n/).filter((line, i, all) => i < all.length - 1 || line !== '') }),
  strip: method('strip', 0, 1, { str: strip('both') }),
  lstrip: method('lstrip', 0, 1, { str: strip('start') }),
  rstrip: method('rstrip', 0, 1, { str: strip('end') }),
  lower: method('lower', 0, 0, { str: (s: string) => s.toLowerCase() }),
  upper: method('upper', 0, 0, { str: (s: string) => s.toUpperCase() }),
  find: method('find', 1, 1, { str: (s: string, [part]) => s.indexOf(pyStr(part)) }),
  replace: method('replace', 2, 3, {
    str: (s: string, [from, to, n]) => {
      const parts = s.split(pyStr(from));
      const limit = n === undefined || Number(n) < 0 ? parts.length : Number(n) + 1;
      return parts.slice(0, limit).join(pyStr(to)) + (limit < parts.length ? pyStr(from) + parts.slice(limit).join(pyStr(from)) : '');
    },
  }),
  join: method('join', 1, 1, { str: (s: string, [items]) => iterate(items, 'join').map(pyStr).join(s) }),
  isdigit: method('isdigit', 0, 0, { str: (s: string) => /^\d+$/.test(s) }),
  index: method('index', 1, 1, { str: index, list: index }),
  count: method('count', 1, 1, { str: count, list: count }),
  keys: method('keys', 0, 0, { dict: (d: Record<string, unknown>) => Object.keys(d) }),
  values: method('values', 0, 0, { dict: (d: Record<string, unknown>) => Object.values(d) }),
  items: method('items', 0, 0, { dict: (d: Record<string, unknown>) => Object.entries(d) }),
  get: method('get', 1, 2, {
    dict: (d: Record<string, unknown>, [key, fallback = null]) => {
      const found = isMapping(d) && (typeof key === 'string' || typeof key === 'number') ? ownValue(d, String(key)) : { found: false };
      return found.found ? found.value : fallback;
    },
  }),
};
