/**
 * The expression parser: tokens to an Expr tree, by Jinja's grammar (condexpr, or, and, not, compare, math,
 * unary, primaries with attributes, subscripts, filters and tests). Positions and syntax errors are in
 * syntax-error.ts, the checks of named filters/tests/methods in call-check.ts, the tree depth limit in depth.ts.
 */
import type { SourcePosition } from '../errors.js';
import type { BinaryOp, CallArgs, CompareOp, Expr } from './ast.js';
import type { Callable } from './callable.js';
import { checkCallArgs, checkNamedCallable, lookupCallable } from './call-check.js';
import { checkDepth } from './depth.js';
import { filters } from './filters.js';
import { methods } from './methods.js';
import { describe, Locator, syntaxError } from './syntax-error.js';
import { tests } from './tests.js';
import { tokenize, TokenError, type Token } from './tokens.js';

/** Parentheses, brackets and unary operators nested deeper than this are refused (the parser is recursive). */
const MAX_NESTING = 100;

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'if', 'else']);
const LITERAL_NAMES = new Map<string, unknown>([
  ['true', true], ['True', true], ['false', false], ['False', false], ['none', null], ['None', null],
]);
const COMPARE_OPS = new Set(['==', '!=', '<', '<=', '>', '>=']);
/** Tokens that may start the bare argument of a test (`x is divisibleby 3`), as in Jinja. */
const TEST_ARG_START = new Set(['name', 'string', 'int', 'float']);

/**
 * Parses a condition (`result.rc == 0 and 'ok' in result.stdout`). A whole-string `{{ ... }}` is accepted and
 * stripped, as Ansible does for `when`. Unknown filters, tests and methods are refused here, so a playbook fails
 * when it is loaded.
 *
 * @param origin YAML position of the string's first character; error positions are relative to it.
 * @throws PhoenixError `E_EXPR_SYNTAX`, `E_EXPR_UNKNOWN_FILTER`, `E_EXPR_UNKNOWN_TEST` or `E_EXPR_UNKNOWN_METHOD`,
 *   positioned at the offending token.
 */
export function parseExpression(text: string, origin?: SourcePosition): Expr {
  const locator = new Locator(text, origin);
  const braces = /^(\s*)\{\{([\s\S]*)\}\}\s*$/.exec(text);
  const start = braces ? braces[1].length + 2 : 0;
  const end = braces ? start + braces[2].length : text.length;
  let tokens: Token[];
  try {
    tokens = tokenize(text, start, end);
  } catch (error) {
    if (error instanceof TokenError) throw syntaxError(error.message, locator.at(error.offset));
    throw error;
  }
  const expr = new Parser(tokens, locator).parseAll();
  checkDepth(expr);
  return expr;
}

class Parser {
  private index = 0;
  private nesting = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly locator: Locator,
  ) {}

  parseAll(): Expr {
    const expr = this.parseExpression();
    if (this.peek().kind !== 'end') this.fail('an operator or the end of the expression');
    return expr;
  }

  // --- token helpers ---

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.index + ahead, this.tokens.length - 1)];
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.index++;
    return token;
  }

  private isOp(text: string, ahead = 0): boolean {
    const token = this.peek(ahead);
    return token.kind === 'op' && token.text === text;
  }

  private isWord(text: string, ahead = 0): boolean {
    const token = this.peek(ahead);
    return token.kind === 'name' && token.text === text;
  }

  private skipOp(text: string): boolean {
    if (!this.isOp(text)) return false;
    this.index++;
    return true;
  }

  private skipWord(text: string): boolean {
    if (!this.isWord(text)) return false;
    this.index++;
    return true;
  }

  private expectOp(text: string): Token {
    if (!this.isOp(text)) this.fail(`'${text}'`);
    return this.next();
  }

  private expectName(what: string): Token {
    if (this.peek().kind !== 'name') this.fail(what);
    return this.next();
  }

  private pos(token: Token): SourcePosition {
    return this.locator.at(token.offset);
  }

  private fail(expected: string, token = this.peek()): never {
    throw syntaxError(`expected ${expected}, found ${describe(token)}`, this.pos(token));
  }

  private nested<T>(parse: () => T): T {
    if (++this.nesting > MAX_NESTING) throw syntaxError('expression is nested too deeply', this.pos(this.peek()));
    try {
      return parse();
    } finally {
      this.nesting--;
    }
  }

  // --- grammar, loosest first (Jinja's parser: condexpr, or, and, not, compare, math1, concat, math2, pow, unary) ---

  private parseExpression(): Expr {
    return this.nested(() => {
      let expr = this.parseOr();
      while (this.isWord('if')) {
        const token = this.next();
        const test = this.parseOr();
        const otherwise = this.skipWord('else') ? this.parseExpression() : undefined;
        expr = { kind: 'cond', test, then: expr, otherwise, pos: this.pos(token) };
      }
      return expr;
    });
  }

  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.isWord('or')) {
      const token = this.next();
      left = { kind: 'or', left, right: this.parseAnd(), pos: this.pos(token) };
    }
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseNot();
    while (this.isWord('and')) {
      const token = this.next();
      left = { kind: 'and', left, right: this.parseNot(), pos: this.pos(token) };
    }
    return left;
  }

  private parseNot(): Expr {
    if (!this.isWord('not')) return this.parseCompare();
    const token = this.next();
    return this.nested(() => ({ kind: 'not', operand: this.parseNot(), pos: this.pos(token) }));
  }

  private parseCompare(): Expr {
    const first = this.parseMath1();
    const rest: Array<{ op: CompareOp; operand: Expr; pos: SourcePosition }> = [];
    for (;;) {
      const token = this.peek();
      let op: CompareOp;
      if (token.kind === 'op' && COMPARE_OPS.has(token.text)) op = token.text as CompareOp;
      else if (this.isWord('in')) op = 'in';
      else if (this.isWord('not') && this.isWord('in', 1)) (op = 'not in'), this.index++;
      else break;
      this.index++;
      rest.push({ op, operand: this.parseMath1(), pos: this.pos(token) });
    }
    return rest.length === 0 ? first : { kind: 'compare', first, rest, pos: first.pos };
  }

  private parseBinary(ops: readonly string[], operand: () => Expr): Expr {
    let left = operand();
    for (let token = this.peek(); token.kind === 'op' && ops.includes(token.text); token = this.peek()) {
      this.index++;
      left = { kind: 'binary', op: token.text as BinaryOp, left, right: operand(), pos: this.pos(token) };
    }
    return left;
  }

  private parseMath1(): Expr {
    return this.parseBinary(['+', '-'], () => this.parseConcat());
  }

  private parseConcat(): Expr {
    return this.parseBinary(['~'], () => this.parseMath2());
  }

  private parseMath2(): Expr {
    return this.parseBinary(['*', '/', '//', '%'], () => this.parsePow());
  }

  private parsePow(): Expr {
    return this.parseBinary(['**'], () => this.parseUnary(true));
  }

  /** As in Jinja, `-x | f` is `(-x) | f`: filters and tests apply after a unary sign. */
  private parseUnary(withFilters: boolean): Expr {
    const token = this.peek();
    let expr: Expr;
    if (this.isOp('-') || this.isOp('+')) {
      this.index++;
      const operand = this.nested(() => this.parseUnary(false));
      expr = { kind: token.text === '-' ? 'neg' : 'pos', operand, pos: this.pos(token) };
    } else {
      expr = this.parsePrimary();
    }
    expr = this.parsePostfix(expr);
    return withFilters ? this.parseFilters(expr) : expr;
  }

  private parsePrimary(): Expr {
    const token = this.peek();
    const pos = this.pos(token);
    switch (token.kind) {
      case 'int':
      case 'float':
        this.index++;
        return { kind: 'literal', value: Number(token.text), pos };
      case 'string': {
        let value = '';
        while (this.peek().kind === 'string') value += this.next().text; // 'a' 'b' is 'ab', as in Jinja
        return { kind: 'literal', value, pos };
      }
      case 'name':
        if (KEYWORDS.has(token.text)) this.fail('an expression');
        this.index++;
        if (LITERAL_NAMES.has(token.text)) return { kind: 'literal', value: LITERAL_NAMES.get(token.text), pos };
        if (this.isOp('(')) throw syntaxError(`function calls are not supported: '${token.text}(...)'`, pos);
        return { kind: 'name', name: token.text, pos };
      case 'op':
        if (token.text === '(') return this.parseParens();
        if (token.text === '[') return this.parseList();
        if (token.text === '{') return this.parseDict();
    }
    this.fail('an expression');
  }

  /** `(x)` groups; `(a, b)` is a tuple, which is a list here. */
  private parseParens(): Expr {
    const open = this.next();
    if (this.skipOp(')')) return { kind: 'list', items: [], pos: this.pos(open) };
    const first = this.parseExpression();
    if (this.skipOp(')')) return first;
    if (!this.skipOp(',')) this.fail("',' or ')'");
    const items = [first, ...this.parseItems(')')];
    return { kind: 'list', items, pos: this.pos(open) };
  }

  private parseList(): Expr {
    const open = this.next();
    return { kind: 'list', items: this.parseItems(']'), pos: this.pos(open) };
  }

  /** Comma-separated expressions up to `close` (consumed); a trailing comma is allowed. */
  private parseItems(close: string): Expr[] {
    const items: Expr[] = [];
    while (!this.skipOp(close)) {
      items.push(this.parseExpression());
      if (!this.isOp(close)) {
        if (!this.isOp(',')) this.fail(`',' or '${close}'`);
        this.index++;
      }
    }
    return items;
  }

  private parseDict(): Expr {
    const open = this.next();
    const entries: Array<[Expr, Expr]> = [];
    while (!this.skipOp('}')) {
      const key = this.parseExpression();
      this.expectOp(':');
      entries.push([key, this.parseExpression()]);
      if (!this.isOp('}')) this.expectOp(',');
    }
    return { kind: 'dict', entries, pos: this.pos(open) };
  }

  private parsePostfix(expr: Expr): Expr {
    for (;;) {
      if (this.isOp('.')) expr = this.parseDot(expr);
      else if (this.isOp('[')) expr = this.parseSubscript(expr);
      else if (this.isOp('(')) throw syntaxError('only methods can be called', this.pos(this.peek()));
      else return expr;
    }
  }

  /** `a.b`, `a.0`, `a.0.1` (lexed as a float), `a.b(...)` for the few methods of {@link methods}. */
  private parseDot(object: Expr): Expr {
    this.next();
    const token = this.next();
    const pos = object.pos;
    if (token.kind === 'int') return { kind: 'index', object, index: { kind: 'literal', value: Number(token.text), pos }, pos };
    if (token.kind === 'float' && /^\d+\.\d+$/.test(token.text)) {
      const [a, b] = token.text.split('.').map(Number);
      const first: Expr = { kind: 'index', object, index: { kind: 'literal', value: a, pos }, pos };
      return { kind: 'index', object: first, index: { kind: 'literal', value: b, pos }, pos };
    }
    if (token.kind !== 'name') this.fail('an attribute name', token);
    if (!this.isOp('(')) return { kind: 'attr', object, name: token.text, pos };
    const method = lookupCallable(methods, token, 'E_EXPR_UNKNOWN_METHOD', 'method', this.locator);
    const call = this.parseCallArgs(method, token);
    return { kind: 'method', object, name: token.text, ...call, pos };
  }

  private parseSubscript(object: Expr): Expr {
    this.next();
    const pos = object.pos;
    const part = (): Expr | undefined => (this.isOp(':') || this.isOp(']') ? undefined : this.parseExpression());
    const start = part();
    if (start && this.skipOp(']')) return { kind: 'index', object, index: start, pos };
    this.expectOp(':');
    const stop = part();
    const step = this.skipOp(':') ? part() : undefined;
    this.expectOp(']');
    return { kind: 'slice', object, start, stop, step, pos };
  }

  private parseFilters(expr: Expr): Expr {
    for (;;) {
      if (this.isOp('|')) expr = this.parseFilter(expr);
      else if (this.isWord('is')) expr = this.parseTest(expr);
      else return expr;
    }
  }

  private parseFilter(subject: Expr): Expr {
    this.next();
    const token = this.expectName('a filter name');
    const filter = lookupCallable(filters, token, 'E_EXPR_UNKNOWN_FILTER', 'filter', this.locator);
    const call = this.isOp('(') ? this.parseCallArgs(filter, token) : checkCallArgs(filter, token, { args: [], kwargs: [] }, this.locator);
    checkNamedCallable(token.text, call);
    return { kind: 'filter', name: token.text, subject, ...call, pos: this.pos(token) };
  }

  private parseTest(subject: Expr): Expr {
    this.next();
    const negated = this.skipWord('not');
    const token = this.expectName('a test name');
    const test = lookupCallable(tests, token, 'E_EXPR_UNKNOWN_TEST', 'test', this.locator);
    let call: CallArgs = { args: [], kwargs: [] };
    if (this.isOp('(')) return this.makeTest(subject, token, negated, this.parseCallArgs(test, token));
    const next = this.peek();
    if (this.isWord('is')) throw syntaxError('you cannot chain tests with is (use parentheses)', this.pos(next));
    const startsArg = TEST_ARG_START.has(next.kind) || this.isOp('[') || this.isOp('{');
    if (startsArg && !(next.kind === 'name' && KEYWORDS.has(next.text))) {
      call = { args: [this.parsePostfix(this.parsePrimary())], kwargs: [] };
    }
    return this.makeTest(subject, token, negated, checkCallArgs(test, token, call, this.locator));
  }

  private makeTest(subject: Expr, token: Token, negated: boolean, call: CallArgs): Expr {
    return { kind: 'test', name: token.text, subject, negated, ...call, pos: this.pos(token) };
  }

  /** `(a, b, key=value)` after a filter, test or method name. */
  private parseCallArgs(callable: Callable, name: Token): CallArgs {
    this.expectOp('(');
    const call: CallArgs = { args: [], kwargs: [] };
    while (!this.skipOp(')')) {
      if (this.peek().kind === 'name' && this.isOp('=', 1)) {
        const key = this.next();
        this.next();
        call.kwargs.push({ name: key.text, value: this.parseExpression() });
      } else {
        if (call.kwargs.length > 0) this.fail('a keyword argument (name=value) after keyword arguments');
        call.args.push(this.parseExpression());
      }
      if (!this.isOp(')')) this.expectOp(',');
    }
    return checkCallArgs(callable, name, call, this.locator);
  }
}
