import { readFileSync } from 'node:fs';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { PhoenixError, type ErrorList, type SourcePosition } from '../errors.js';
import { jsonPath, type JsonPathSegments } from './json-path.js';
import { findJsonSyntaxError } from './json-syntax.js';

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
 * Reads a JSON file strictly (RFC 8259), keeping the line:column of every key and value. The `yaml` package does the
 * parsing (JSON is YAML) because it gives positions; duplicate keys are collected, not fatal, so the caller can report
 * them with its own codes (duplicate CTIDs) alongside everything else.
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
  const lineCounter = new LineCounter();
  const at = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  // The strict check first: it also stops nesting too deep for the YAML parser's recursion.
  const syntax = findJsonSyntaxError(text);
  if (syntax) {
    errors.add(new PhoenixError('E_CONFIG_JSON_SYNTAX', `JSON syntax error in ${file}: ${syntax.message}`, {
      pos: offsetPosition(file, text, syntax.offset),
      hint: 'the configuration is strict JSON: double quotes, no comments, no trailing commas',
    }));
    return undefined;
  }
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false, version: '1.2' });
  if (doc.errors.length) {
    errors.add(new PhoenixError('E_CONFIG_JSON_SYNTAX', `cannot read ${file}: ${doc.errors[0].message.split('\n')[0]}`, { pos: at(doc.errors[0].pos[0]) }));
    return undefined;
  }
  return build(file, doc.contents as Node | null, at);
}

function offsetPosition(file: string, text: string, offset: number): SourcePosition {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { file, line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

function build(file: string, root: Node | null, at: (offset: number) => SourcePosition): JsonSource {
  const written = new Map<string, Written>();
  const duplicates: DuplicateKey[] = [];
  const start = (node: Node | null | undefined): SourcePosition => at(node?.range?.[0] ?? 0);

  const convert = (node: Node | null, path: Array<string | number>): unknown => {
    if (isScalar(node)) return node.value;
    if (isSeq(node)) {
      return node.items.map((item, i) => {
        written.set(jsonPath([...path, i]), { value: start(item as Node) });
        return convert(item as Node, [...path, i]);
      });
    }
    if (!isMap(node)) return null;
    const out: Record<string, unknown> = {};
    const firstKey = new Map<string, SourcePosition>();
    for (const pair of node.items) {
      const keyNode = pair.key as Node;
      const key = String(isScalar(keyNode) ? keyNode.value : keyNode);
      const keyPos = start(keyNode);
      const first = firstKey.get(key);
      if (first) duplicates.push({ parent: [...path], key, pos: keyPos, first });
      else firstKey.set(key, keyPos);
      written.set(jsonPath([...path, key]), { key: keyPos, value: start(pair.value as Node) });
      // defineProperty: a key named __proto__ stays data and never reaches the prototype.
      Object.defineProperty(out, key, { value: convert(pair.value as Node, [...path, key]), enumerable: true, writable: true, configurable: true });
    }
    return out;
  };

  written.set('$', { value: start(root) });
  const value = convert(root, []);
  const lookup = (path: JsonPathSegments): Written => {
    for (let n = path.length; n >= 0; n--) {
      const entry = written.get(jsonPath(path.slice(0, n)));
      if (entry) return entry;
    }
    return { value: at(0) };
  };
  return {
    file,
    value,
    duplicates,
    valuePos: (path) => lookup(path).value,
    keyPos: (path) => {
      const entry = lookup(path);
      return entry.key ?? entry.value;
    },
  };
}
