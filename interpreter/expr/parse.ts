import { PhoenixError, type SourcePosition } from '../errors.js';
import type { BinaryOp, CallArgs, CompareOp, Expr } from './ast.js';
import { findCallable, type Callable, type CallableTable } from './callable.js';
import { filters } from './filters.js';
import { methods } from './methods.js';
import { tests } from './tests.js';
import { tokenize, TokenError, type Token } from './tokens.js';

/** Parentheses, brackets and unary operators nested deeper than this are refused (the parser is recursive). */
const MAX_NESTING = 100;
/** Trees deeper than this (e.g. a chain of 1000 `or`) are refused: the evaluator is recursive too. */
const MAX_DEPTH = 400;

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'if', 'else']);
const LITERAL_NAMES = new Map<string, unknown>([
  ['true', true], ['True', true], ['false', false], ['False', false], ['none', null], ['None', null],
]);
const COMPARE_OPS = new Set(['==', '!=', '<', '<=', '>', '>=']);
/** Tokens that may start the bare argument of a test (`x is divisibleby 3`), as in Jinja. */
const TEST_ARG_START = new Set(['name', 'string', 'int', 'float']);

/** Maps offsets of the expression text to positions in the YAML file. */
class Locator {
  private readonly lineStarts: number[] = [0];

  constructor(
    text: string,
    private readonly origin?: SourcePosition,
  ) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
  }

  at(offset: number): SourcePosition {
    let line = 0;
    for (let lo = 0, hi = this.lineStarts.length - 1; lo <= hi; ) {
      const mid = (lo + hi) >> 1;
      if (this.lineStarts[mid] <= offset) (line = mid), (lo = mid + 1);
      else hi = mid - 1;
    }
    const column = offset - this.lineStarts[line];
    if (!this.origin) return { file: '<expression>', line: line + 1, column: column + 1 };
    // Only the first line starts at the origin's column; later lines of a block scalar start at their own.
    return {
      file: this.origin.file,
      line: this.origin.line + line,
      column: line === 0 ? this.origin.column + column : column + 1,
    };
  }
}

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

function syntaxError(message: string, pos: SourcePosition, code = 'E_EXPR_SYNTAX'): PhoenixError {
  return new PhoenixError(code, message, { pos });
}

function describe(token: Token): string {
  if (token.kind === 'end') return 'end of expression';
  if (token.kind === 'string') return `string ${JSON.stringify(token.text)}`;
  return `'${token.text}'`;
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
    const method = this.lookup(methods, token, 'E_EXPR_UNKNOWN_METHOD', 'method');
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
    const filter = this.lookup(filters, token, 'E_EXPR_UNKNOWN_FILTER', 'filter');
    const call = this.isOp('(') ? this.parseCallArgs(filter, token) : this.checkArgs(filter, token, { args: [], kwargs: [] });
    this.checkNamedCallable(token.text, call);
    return { kind: 'filter', name: token.text, subject, ...call, pos: this.pos(token) };
  }

  private parseTest(subject: Expr): Expr {
    this.next();
    const negated = this.skipWord('not');
    const token = this.expectName('a test name');
    const test = this.lookup(tests, token, 'E_EXPR_UNKNOWN_TEST', 'test');
    let call: CallArgs = { args: [], kwargs: [] };
    if (this.isOp('(')) return this.makeTest(subject, token, negated, this.parseCallArgs(test, token));
    const next = this.peek();
    if (this.isWord('is')) throw syntaxError('you cannot chain tests with is (use parentheses)', this.pos(next));
    const startsArg = TEST_ARG_START.has(next.kind) || this.isOp('[') || this.isOp('{');
    if (startsArg && !(next.kind === 'name' && KEYWORDS.has(next.text))) {
      call = { args: [this.parsePostfix(this.parsePrimary())], kwargs: [] };
    }
    return this.makeTest(subject, token, negated, this.checkArgs(test, token, call));
  }

  private makeTest(subject: Expr, token: Token, negated: boolean, call: CallArgs): Expr {
    return { kind: 'test', name: token.text, subject, negated, ...call, pos: this.pos(token) };
  }

  private lookup(table: CallableTable, token: Token, code: string, what: string): Callable {
    const found = findCallable(table, token.text);
    if (!found) throw syntaxError(`unknown ${what} '${token.text}'`, this.pos(token), code);
    return found;
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
    return this.checkArgs(callable, name, call);
  }

  private checkArgs(callable: Callable, name: Token, call: CallArgs): CallArgs {
    const count = call.args.length;
    if (count < callable.min || count > callable.max) {
      const wanted = callable.min === callable.max ? `${callable.min}` : `${callable.min} to ${callable.max}`;
      throw syntaxError(`'${name.text}' takes ${wanted} argument(s), ${count} given`, this.pos(name));
    }
    for (const { name: key } of call.kwargs) {
      if (!callable.kwargs?.includes(key)) {
        throw syntaxError(`'${name.text}' has no argument '${key}'`, this.pos(name));
      }
    }
    return call;
  }

  /** `select('match', ...)`, `map('lower')`: a test or filter named by a string literal is checked here too. */
  private checkNamedCallable(filter: string, call: CallArgs): void {
    const index = filter === 'select' || filter === 'reject' ? 0 : filter.endsWith('attr') ? 1 : filter === 'map' ? 0 : -1;
    const arg = index >= 0 ? call.args[index] : undefined;
    if (arg?.kind !== 'literal' || typeof arg.value !== 'string') return;
    const [table, code, what] =
      filter === 'map' ? [filters, 'E_EXPR_UNKNOWN_FILTER', 'filter'] : [tests, 'E_EXPR_UNKNOWN_TEST', 'test'];
    if (!findCallable(table, arg.value)) throw syntaxError(`unknown ${what} '${arg.value}'`, arg.pos, code);
  }
}

function children(expr: Expr): Expr[] {
  switch (expr.kind) {
    case 'literal':
    case 'name':
      return [];
    case 'list':
      return expr.items;
    case 'dict':
      return expr.entries.flat();
    case 'attr':
      return [expr.object];
    case 'index':
      return [expr.object, expr.index];
    case 'slice':
      return [expr.object, expr.start, expr.stop, expr.step].filter((e): e is Expr => e !== undefined);
    case 'method':
    case 'filter':
    case 'test':
      return [expr.kind === 'method' ? expr.object : expr.subject, ...expr.args, ...expr.kwargs.map((k) => k.value)];
    case 'neg':
    case 'pos':
    case 'not':
      return [expr.operand];
    case 'binary':
    case 'and':
    case 'or':
      return [expr.left, expr.right];
    case 'compare':
      return [expr.first, ...expr.rest.map((r) => r.operand)];
    case 'cond':
      return [expr.test, expr.then, ...(expr.otherwise ? [expr.otherwise] : [])];
  }
}

/** Iterative, so a pathological tree is refused here instead of overflowing the stack of the evaluator. */
function checkDepth(root: Expr): void {
  const stack: Array<[Expr, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [expr, depth] = stack.pop()!;
    if (depth > MAX_DEPTH) throw syntaxError('expression is too deeply nested or too long a chain', expr.pos);
    for (const child of children(expr)) stack.push([child, depth + 1]);
  }
}
