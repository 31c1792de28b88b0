import { readFileSync } from 'node:fs';
import { Document, LineCounter, parseDocument, isMap, isPair, isScalar, isAlias, type Node, type Pair } from 'yaml';
import { ErrorList, PhoenixError, type SourcePosition } from '../errors.js';
import type { VarsWithPositions } from './types.js';

/** A parsed YAML (or JSON) file that can say where any of its nodes is. */
export interface YamlSource {
  file: string;
  doc: Document;
  lineCounter: LineCounter;
}

/**
 * Reads and parses one file. YAML 1.1 like Ansible's PyYAML, so `yes`/`no` are booleans there as here.
 * Syntax errors go to `errors` with `code` and their position; returns undefined when the file is unusable.
 */
export function readYamlSource(file: string, code: string, errors: ErrorList): YamlSource | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    errors.add(new PhoenixError(code, `cannot read ${file}: ${(e as Error).message}`, { pos: { file, line: 1, column: 1 } }));
    return undefined;
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { version: '1.1', lineCounter, prettyErrors: false, uniqueKeys: false });
  const src: YamlSource = { file, doc, lineCounter };
  for (const err of doc.errors) {
    errors.add(new PhoenixError(code, `YAML syntax error in ${file}: ${err.message.split('\n')[0]}`, { pos: offsetPos(src, err.pos[0]) }));
  }
  return doc.errors.length ? undefined : src;
}

/** Position of a character offset in the source. */
export function offsetPos(src: YamlSource, offset: number): SourcePosition {
  const { line, col } = src.lineCounter.linePos(offset);
  return { file: src.file, line, column: col };
}

/** Position of a node (its first character), or of the file start when the node has no range. */
export function nodePos(src: YamlSource, node: unknown): SourcePosition {
  const range = (node as Node | null)?.range;
  return range ? offsetPos(src, range[0]) : { file: src.file, line: 1, column: 1 };
}

/** Follows aliases so walkers see the anchored node. */
export function resolveNode(src: YamlSource, node: unknown): unknown {
  return isAlias(node) ? node.resolve(src.doc) : node;
}

/** The string form of a map key (YAML allows any scalar; inventory names are strings). */
export function keyText(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

/** Pairs of a map node, or [] for anything else (null, scalars: the schema reports those). */
export function mapPairs(src: YamlSource, node: unknown): Pair[] {
  const resolved = resolveNode(src, node);
  return isMap(resolved) ? resolved.items.filter(isPair) : [];
}

/**
 * The node at a path of keys (as in ajv's instancePath), or the pair when `wantPair` so a caller can point at a key.
 * Returns the deepest node found when the path goes further than the document.
 */
export function nodeAtPath(src: YamlSource, path: string[], wantPair = false): unknown {
  let node: unknown = src.doc.contents;
  let pair: Pair | undefined;
  for (const key of path) {
    pair = mapPairs(src, node).find((p) => keyText(p) === key);
    if (!pair) return node;
    node = pair.value ?? pair.key;
  }
  return wantPair && pair ? pair.key : node;
}

/** The file's contents as plain JavaScript values. */
export function toPlain(src: YamlSource, node: unknown = src.doc.contents): unknown {
  const resolved = resolveNode(src, node);
  if (resolved === null || resolved === undefined) return null;
  return (resolved as Node).toJS(src.doc, { maxAliasCount: 1000 });
}

/**
 * A mapping of variables with the position of each key. Values come from the whole map so YAML 1.1 merge keys
 * (`<<: *defaults`) apply as in PyYAML; merged keys point at the map itself.
 */
export function varsOf(src: YamlSource, node: unknown): VarsWithPositions {
  const plain = toPlain(src, node);
  const vars = plain !== null && typeof plain === 'object' && !Array.isArray(plain) ? (plain as Record<string, unknown>) : {};
  const positions: Record<string, SourcePosition> = {};
  const mapPos = nodePos(src, resolveNode(src, node));
  for (const key of Object.keys(vars)) positions[key] = mapPos;
  for (const pair of mapPairs(src, node)) {
    const key = keyText(pair);
    if (key in vars) positions[key] = nodePos(src, pair.key);
  }
  return { vars, positions };
}
