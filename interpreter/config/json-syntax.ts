/** The first syntax error of a JSON text: its character offset and what was expected there. */
export interface JsonSyntaxError {
  offset: number;
  message: string;
}

/**
 * Checks that `text` is strict JSON (RFC 8259) and says where the first error is. `JSON.parse` rejects the same texts
 * but names no position for some of them; the reader that gives us positions (json-source.ts) trusts this check.
 */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  const scanner = new Scanner(text);
  try {
    scanner.skipSpace();
    scanner.value();
    scanner.skipSpace();
    if (scanner.i < text.length) scanner.fail('end of file after the top-level value');
    return undefined;
  } catch (error) {
    if (error instanceof ScanError) return { offset: error.offset, message: error.message };
    throw error;
  }
}

class ScanError extends Error {
  constructor(readonly offset: number, message: string) {
    super(message);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const STRING_CHARS = /(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*/y;

/** The offset of the first character at or after `i` that is not JSON whitespace. */
export function skipJsonSpace(text: string, i: number): number {
  while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  return i;
}

/** Where the characters of the string whose opening quote is at `i` end: at its closing quote, if it is valid. */
export function jsonStringBody(text: string, i: number): number {
  STRING_CHARS.lastIndex = i + 1;
  STRING_CHARS.test(text);
  return STRING_CHARS.lastIndex;
}

/** Configurations nest a few levels; the reader after this check (json-source.ts) recurses once per level. */
export const MAX_JSON_DEPTH = 100;

class Scanner {
  i = 0;
  private depth = 0;
  constructor(private readonly text: string) {}

  fail(expected: string): never {
    const found = this.i < this.text.length ? `'${this.text[this.i]}'` : 'end of file';
    throw new ScanError(this.i, `expected ${expected}, found ${found}`);
  }

  skipSpace(): void {
    this.i = skipJsonSpace(this.text, this.i);
  }

  value(): void {
    const c = this.text[this.i];
    if ((c === '{' || c === '[') && ++this.depth > MAX_JSON_DEPTH) throw new ScanError(this.i, `values nested deeper than ${MAX_JSON_DEPTH} levels`);
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    for (const word of ['true', 'false', 'null']) {
      if (this.text.startsWith(word, this.i)) {
        this.i += word.length;
        return;
      }
    }
    NUMBER.lastIndex = this.i;
    if (c !== undefined && NUMBER.test(this.text)) {
      this.i = NUMBER.lastIndex;
      return;
    }
    this.fail('a JSON value (object, array, "string", number, true, false or null)');
  }

  string(): void {
    this.i = jsonStringBody(this.text, this.i);
    if (this.text[this.i] !== '"') this.fail('the closing " of a string (control characters and unknown escapes are not allowed)');
    this.i++;
  }

  object(): void {
    this.i++;
    this.skipSpace();
    if (this.text[this.i] === '}') {
      this.i++;
      this.depth--;
      return;
    }
    for (;;) {
      if (this.text[this.i] !== '"') this.fail('a "quoted" key');
      this.string();
      this.skipSpace();
      if (this.text[this.i] !== ':') this.fail("':' after the key");
      this.i++;
      this.skipSpace();
      this.value();
      this.skipSpace();
      if (this.text[this.i] === '}') {
        this.i++;
        this.depth--;
        return;
      }
      if (this.text[this.i] !== ',') this.fail("',' or '}'");
      this.i++;
      this.skipSpace();
    }
  }

  array(): void {
    this.i++;
    this.skipSpace();
    if (this.text[this.i] === ']') {
      this.i++;
      this.depth--;
      return;
    }
    for (;;) {
      this.value();
      this.skipSpace();
      if (this.text[this.i] === ']') {
        this.i++;
        this.depth--;
        return;
      }
      if (this.text[this.i] !== ',') this.fail("',' or ']'");
      this.i++;
      this.skipSpace();
    }
  }
}
