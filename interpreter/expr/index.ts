import type { SourcePosition } from '../errors.js';
import type { Expr } from './ast.js';
import { evaluate } from './evaluate.js';
import { parseExpression } from './parse.js';
import { isTruthy, ownValue, UNDEFINED, type Scope } from './values.js';

export type { BinaryOp, CallArgs, CompareOp, Expr } from './ast.js';
export { evaluate } from './evaluate.js';
export { parseExpression } from './parse.js';
export { UNDEFINED, Undefined, type Scope } from './values.js';
export { filters } from './filters.js';
export { tests } from './tests.js';

/** Parsed conditions by origin and text; conditions are pure, so one parse serves every host and loop item. */
export class ExpressionCache {
  private readonly parsed = new Map<string, Expr>();

  constructor(private readonly limit = 10_000) {}

  get(text: string, origin?: SourcePosition): Expr {
    // The origin is part of the key because error positions live in the tree.
    const key = origin ? `${origin.file}:${origin.line}:${origin.column}\n${text}` : `\n${text}`;
    let expr = this.parsed.get(key);
    if (!expr) {
      expr = parseExpression(text, origin);
      if (this.parsed.size >= this.limit) this.parsed.clear();
      this.parsed.set(key, expr);
    }
    return expr;
  }
}

// A memo of a pure function, not shared state: dropping it at any time only costs a re-parse.
const defaultCache = new ExpressionCache();

/**
 * Evaluates a `when`/`changed_when`/`failed_when`/`until`/`assert.that` condition to a boolean with Python
 * truthiness. Booleans (YAML `when: true`) pass through. A list of conditions is ANDed by the caller.
 */
export function evaluateCondition(
  text: string | boolean,
  scope: Scope,
  origin?: SourcePosition,
  cache: ExpressionCache = defaultCache,
): boolean {
  if (typeof text === 'boolean') return text;
  return truthy(evaluate(cache.get(text, origin), scope));
}

/** Python truthiness: `''`, 0, `[]`, `{}`, None and false are false. Throws `E_UNDEFINED_VAR` for an undefined value. */
export function truthy(value: unknown): boolean {
  return isTruthy(value);
}

/** A scope over a plain object of variables; only its own properties are variables (never `constructor`). */
export function scopeFromObject(vars: Record<string, unknown>): Scope {
  return {
    lookup(name: string) {
      const found = ownValue(vars, name);
      return found.found ? found.value : UNDEFINED;
    },
  };
}
