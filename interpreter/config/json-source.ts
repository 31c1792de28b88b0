import { readFileSync } from 'node:fs';
import { PhoenixError, type ErrorList, type SourcePosition } from '../errors.js';
import { jsonPath, type JsonPathSegments } from './json-path.js';
import { findJsonSyntaxError, jsonStringBody, skipJsonSpace } from './json-syntax.js';

/** A key written twice in one JSON object (JSON.parse would silently keep the last one). */
export interface DuplicateKey {
  /** Path of the object holding the key. */
  parent: JsonPathSegments;
  key: string;
  /** Where the key is written again, and where first. */
  pos: SourcePosition;
  first: SourcePosition;
}

/** A parsed JSON file that can say where each of its values and keys is written. */
export interface JsonSource {
  file: string;
  value: unknown;
  duplicates: DuplicateKey[];
  /** Position of the value at `path` (of the nearest written ancestor when the value is missing). */
  valuePos(path: JsonPathSegments): SourcePosition;
  /** Position of the key that holds the value at `path` (the value's position for array items and the root). */
  keyPos(path: JsonPathSegments): SourcePosition;
}

interface Written {
  key?: SourcePosition;
  value: SourcePosition;
}

/** How a file that cannot be read is reported: a file named inside another one is a configuration error there. */
export interface ReadJsonOptions {
  /** Where the file was named (a value in another file); without it a missing file is an exit-1 error. */
  namedAt?: SourcePosition;
  namedAtPath?: string;
}

/**
 * Reads a JSON file strictly (RFC 8259), keeping the line:column of every key and value; duplicate keys are
 * collected, not fatal, so the caller can report them with its own codes (duplicate CTIDs) alongside everything else.
 */
export function readJsonSource(file: string, errors: ErrorList, options: ReadJsonOptions = {}): JsonSource | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? String(error);
    errors.add(new PhoenixError('E_CONFIG_MISSING', `cannot read configuration file ${file}: ${why}`, {
      pos: options.namedAt,
      jsonPath: options.namedAtPath,
      hint: 'check the path (relative paths are relative to the file that names them)',
    }, options.namedAt ? 4 : 1));
    return undefined;
  }
  // The strict check first: the reader below trusts what it passed (and its depth limit).
  const syntax = findJsonSyntaxError(text);
  if (syntax) {
    errors.add(new PhoenixError('E_CONFIG_JSON_SYNTAX', `JSON syntax error in ${file}: ${syntax.message}`, {
      pos: offsetPosition(file, text, syntax.offset),
      hint: 'the configuration is strict JSON: double quotes, no comments, no trailing commas',
    }));
    return undefined;
  }
  return new PositionedReader(file, text).source();
}

function offsetPosition(file: string, text: string, offset: number): SourcePosition {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { file, line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

/**
 * Reads a JSON text that passed {@link findJsonSyntaxError} into values, noting where each key and value starts
 * (the YAML parser did this before, at 5-10x the time: a 90-container configuration took 250 ms to load).
 * Strings and numbers are read by JSON.parse of their own text, so escapes and numbers mean what JSON says.
 */
class PositionedReader {
  private i = 0;
  private readonly written = new Map<string, Written>();
  private readonly duplicates: DuplicateKey[] = [];
  private readonly lineStarts: number[] = [0];

  constructor(private readonly file: string, private readonly text: string) {
    for (let k = text.indexOf('\n'); k !== -1; k = text.indexOf('\n', k + 1)) this.lineStarts.push(k + 1);
  }

  source(): JsonSource {
    this.skipSpace();
    this.written.set('$', { value: this.at(this.i) });
    const value = this.value([]);
    const lookup = (path: JsonPathSegments): Written => {
      for (let n = path.length; n >= 0; n--) {
        const entry = this.written.get(jsonPath(path.slice(0, n)));
        if (entry) return entry;
      }
      return { value: this.at(0) };
    };
    return {
      file: this.file,
      value,
      duplicates: this.duplicates,
      valuePos: (path) => lookup(path).value,
      keyPos: (path) => {
        const entry = lookup(path);
        return entry.key ?? entry.value;
      },
    };
  }

  /** Line and column (1-based) of an offset. */
  private at(offset: number): SourcePosition {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { file: this.file, line: lo + 1, column: offset - this.lineStarts[lo]! + 1 };
  }

  private skipSpace(): void {
    this.i = skipJsonSpace(this.text, this.i);
  }

  private value(path: Array<string | number>): unknown {
    const c = this.text[this.i];
    if (c === '{') return this.object(path);
    if (c === '[') return this.array(path);
    const begin = this.i;
    if (c === '"') this.i = this.stringEnd(this.i);
    else while (this.i < this.text.length && !',]} \t\n\r'.includes(this.text[this.i]!)) this.i++;
    return JSON.parse(this.text.slice(begin, this.i));
  }

  /** The offset after the string that starts (with its quote) at `begin`. */
  private stringEnd(begin: number): number {
    return jsonStringBody(this.text, begin) + 1;
  }

  private object(path: Array<string | number>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const firstKey = new Map<string, SourcePosition>();
    this.i++;
    this.skipSpace();
    while (this.text[this.i] !== '}') {
      const keyPos = this.at(this.i);
      const end = this.stringEnd(this.i);
      const key = JSON.parse(this.text.slice(this.i, end)) as string;
      this.i = end;
      this.skipSpace();
      this.i++; // ':'
      this.skipSpace();
      const first = firstKey.get(key);
      if (first) this.duplicates.push({ parent: [...path], key, pos: keyPos, first });
      else firstKey.set(key, keyPos);
      const child = [...path, key];
      this.written.set(jsonPath(child), { key: keyPos, value: this.at(this.i) });
      // defineProperty: a key named __proto__ stays data and never reaches the prototype.
      Object.defineProperty(out, key, { value: this.value(child), enumerable: true, writable: true, configurable: true });
      this.skipSpace();
      if (this.text[this.i] === ',') this.i++;
      this.skipSpace();
    }
    this.i++;
    return out;
  }

  private array(path: Array<string | number>): unknown[] {
    const out: unknown[] = [];
    this.i++;
    this.skipSpace();
    while (this.text[this.i] !== ']') {
      const child = [...path, out.length];
      this.written.set(jsonPath(child), { value: this.at(this.i) });
      out.push(this.value(child));
      this.skipSpace();
      if (this.text[this.i] === ',') this.i++;
      this.skipSpace();
    }
    this.i++;
    return out;
  }
}
