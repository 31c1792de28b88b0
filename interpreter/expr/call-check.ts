/**
 * Checks of the filters, tests and methods an expression names: that they exist, the number and names of their
 * arguments, and a test or filter named by a string literal (`select('match')`, `map('lower')`).
 */
import type { CallArgs } from './ast.js';
import { findCallable, type Callable, type CallableTable } from './callable.js';
import { filters } from './filters.js';
import { syntaxError, type Locator } from './syntax-error.js';
import { tests } from './tests.js';
import type { Token } from './tokens.js';

/** The filter, test or method a name token names; an unknown one is an error at the token. */
export function lookupCallable(table: CallableTable, token: Token, code: string, what: string, locator: Locator): Callable {
  const found = findCallable(table, token.text);
  if (!found) throw syntaxError(`unknown ${what} '${token.text}'`, locator.at(token.offset), code);
  return found;
}

/** The call's arguments when their count and keyword names suit the callable. */
export function checkCallArgs(callable: Callable, name: Token, call: CallArgs, locator: Locator): CallArgs {
  const count = call.args.length;
  if (count < callable.min || count > callable.max) {
    const wanted = callable.min === callable.max ? `${callable.min}` : `${callable.min} to ${callable.max}`;
    throw syntaxError(`'${name.text}' takes ${wanted} argument(s), ${count} given`, locator.at(name.offset));
  }
  for (const { name: key } of call.kwargs) {
    if (!callable.kwargs?.includes(key)) {
      throw syntaxError(`'${name.text}' has no argument '${key}'`, locator.at(name.offset));
    }
  }
  return call;
}

/** `select('match', ...)`, `map('lower')`: a test or filter named by a string literal is checked here too. */
export function checkNamedCallable(filter: string, call: CallArgs): void {
  const index = filter === 'select' || filter === 'reject' ? 0 : filter.endsWith('attr') ? 1 : filter === 'map' ? 0 : -1;
  const arg = index >= 0 ? call.args[index] : undefined;
  if (arg?.kind !== 'literal' || typeof arg.value !== 'string') return;
  const [table, code, what] =
    filter === 'map' ? [filters, 'E_EXPR_UNKNOWN_FILTER', 'filter'] : [tests, 'E_EXPR_UNKNOWN_TEST', 'test'];
  if (!findCallable(table, arg.value)) throw syntaxError(`unknown ${what} '${arg.value}'`, arg.pos, code);
}
