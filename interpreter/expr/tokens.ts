/** Kinds of tokens of the condition language. `op` covers every operator and punctuation mark. */
export type TokenKind = 'name' | 'int' | 'float' | 'string' | 'op' | 'end';

/** One token; `offset` is the index of its first character in the expression text. */
export interface Token {
  kind: TokenKind;
  /** The operator or name as written; the decoded text for strings; the digits for numbers. */
  text: string;
  offset: number;
}

/** A tokenizing error: what was found at `offset`. The parser turns it into E_EXPR_SYNTAX with a position. */
export class TokenError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

// Longest first, so `//` wins over `/` and `<=` over `<`.
const OPERATORS = ['//', '**', '==', '!=', '<=', '>=', '<', '>', '+', '-', '*', '/', '%', '~', '|', '.', ',', ':', '(', ')', '[', ']', '{', '}', '='];

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /(\d+)(\.\d+)?([eE][+-]?\d+)?/y;
const SPACE = /\s+/y;

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\n': '',
};

/** Splits `text[start, end)` into tokens, ending with an `end` token at `end`. */
export function tokenize(text: string, start = 0, end = text.length): Token[] {
  const tokens: Token[] = [];
  let at = start;
  while (at < end) {
    SPACE.lastIndex = at;
    if (SPACE.exec(text)) {
      at = Math.min(SPACE.lastIndex, end);
      continue;
    }
    const { length, ...token } = readToken(text, at, end);
    tokens.push(token);
    at += length;
  }
  tokens.push({ kind: 'end', text: '', offset: end });
  return tokens;
}

function readToken(text: string, at: number, end: number): Token & { length: number } {
  const char = text[at];
  if (char === "'" || char === '"') return readString(text, at, end);
  const regex = /[A-Za-z_]/.test(char) ? NAME : /\d/.test(char) ? NUMBER : undefined;
  if (regex) {
    regex.lastIndex = at;
    const match = regex.exec(text);
    if (match && regex.lastIndex <= end) {
      const kind = regex === NAME ? 'name' : match[2] !== undefined || match[3] !== undefined ? 'float' : 'int';
      return { kind, text: match[0], offset: at, length: match[0].length };
    }
  }
  const op = OPERATORS.find((candidate) => text.startsWith(candidate, at) && at + candidate.length <= end);
  if (op) return { kind: 'op', text: op, offset: at, length: op.length };
  throw new TokenError(`unexpected character ${JSON.stringify(char)}`, at);
}

/** A quoted string with Python's escapes; an unknown escape keeps its backslash (`'\d'` is `\d`), as in Python. */
function readString(text: string, at: number, end: number): Token & { length: number } {
  const quote = text[at];
  let value = '';
  let i = at + 1;
  while (i < end && text[i] !== quote) {
    if (text[i] !== '\\' || i + 1 >= end) {
      const stop = plainRunEnd(text, i, end, quote);
      value += text.slice(i, stop);
      i = stop;
      continue;
    }
    const [decoded, used] = readEscape(text, i, end);
    value += decoded;
    i += used;
  }
  if (i >= end) throw new TokenError('unterminated string', at);
  return { kind: 'string', text: value, offset: at, length: i + 1 - at };
}

/** End of the run of characters from `at` that need no decoding (at least one character). */
function plainRunEnd(text: string, at: number, end: number, quote: string): number {
  let i = at + 1;
  while (i < end && text[i] !== quote && text[i] !== '\\') i++;
  return i;
}

function readEscape(text: string, at: number, end: number): [string, number] {
  const next = text[at + 1];
  if (Object.prototype.hasOwnProperty.call(SIMPLE_ESCAPES, next)) {
    return [SIMPLE_ESCAPES[next], 2];
  }
  const hexLength = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
  if (hexLength > 0) {
    const hex = text.slice(at + 2, Math.min(at + 2 + hexLength, end));
    if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== hexLength) {
      throw new TokenError(`invalid \\${next} escape`, at);
    }
    const code = parseInt(hex, 16);
    if (code > 0x10ffff) throw new TokenError(`invalid \\${next} escape`, at);
    return [String.fromCodePoint(code), 2 + hexLength];
  }
  const octal = /^[0-7]{1,3}/.exec(text.slice(at + 1, Math.min(at + 4, end)));
  if (octal) return [String.fromCharCode(parseInt(octal[0], 8)), 1 + octal[0].length];
  return ['\\', 1];
}
