import { readFileSync } from 'node:fs';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node, type Tags } from 'yaml';
import { PhoenixError, type ErrorList, type SourcePosition } from '../errors.js';

/** Positions of one mapping or sequence and of its keys/items. */
export interface NodePositions {
  pos: SourcePosition;
  keys: Map<string, SourcePosition>;
  values: Map<string | number, SourcePosition>;
}

/** Remembers where every object and array of a loaded file came from, without decorating the values themselves. */
export class PositionMap {
  private readonly byObject = new WeakMap<object, NodePositions>();

  set(value: object, positions: NodePositions): void {
    this.byObject.set(value, positions);
  }

  /** Position of an object, or of one of its keys (`key`) — falls back to the object itself. */
  of(value: unknown, key?: string | number): SourcePosition | undefined {
    if (!value || typeof value !== 'object') return undefined;
    const entry = this.byObject.get(value);
    if (!entry) return undefined;
    if (key !== undefined) return entry.keys.get(String(key)) ?? entry.values.get(key) ?? entry.pos;
    return entry.pos;
  }

  /** Position of the value stored under `key` (for scalar values, which cannot carry a position themselves). */
  valueOf(value: unknown, key: string | number): SourcePosition | undefined {
    if (!value || typeof value !== 'object') return undefined;
    const entry = this.byObject.get(value);
    return entry?.values.get(key) ?? entry?.keys.get(String(key)) ?? entry?.pos;
  }
}

export interface LoadedYaml {
  file: string;
  value: unknown;
  positions: PositionMap;
  text: string;
}

/** Reads and parses a YAML file; syntax errors are added to `errors` with their position. */
export function loadYamlFile(file: string, errors: ErrorList, missingCode = 'E_FILE_MISSING'): LoadedYaml | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    errors.add(new PhoenixError(missingCode, `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`, {
      hint: 'check the path',
    }, 1));
    return undefined;
  }
  return parseYamlText(text, file, errors);
}

/** Parses YAML text (used for files and for `-e` values). */
export function parseYamlText(text: string, file: string, errors: ErrorList): LoadedYaml | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true, customTags: ansibleScalars });
  const at = (offset: number): SourcePosition => ({ file, ...lineCounter.linePos(offset), column: lineCounter.linePos(offset).col });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      errors.add(new PhoenixError('E_YAML_SYNTAX', `YAML syntax error: ${e.message.split('\n')[0]}`, {
        pos: position(at(e.pos[0])),
        hint: 'fix the YAML syntax (indentation, quoting, a missing colon)',
      }));
    }
    return undefined;
  }
  const positions = new PositionMap();
  const value = convert(doc.contents as Node | null, doc, positions, (o) => position(at(o)));
  return { file, value, positions, text };
}

function position(p: { file: string; line: number; column: number }): SourcePosition {
  return { file: p.file, line: p.line, column: p.column };
}

type At = (offset: number) => SourcePosition;

/**
 * What PyYAML (and so Ansible) reads differently from YAML 1.2: `0644` is an octal integer and
 * yes/no/on/off are booleans. Only these; YAML 1.1's `y`/`n` booleans are not PyYAML's either.
 */
const ansibleScalars = (tags: Tags): Tags => [
  {
    identify: (v: unknown) => typeof v === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:int',
    test: /^0[0-7]+$/,
    resolve: (text: string) => parseInt(text, 8),
  },
  {
    identify: (v: unknown) => typeof v === 'boolean',
    default: true,
    tag: 'tag:yaml.org,2002:bool',
    test: /^(?:yes|Yes|YES|on|On|ON|no|No|NO|off|Off|OFF)$/,
    resolve: (text: string) => /^(?:yes|on)$/i.test(text),
  },
  ...tags,
];

function convert(node: Node | null, doc: Document, positions: PositionMap, at: At): unknown {
  if (!node) return null;
  if (isAlias(node)) return convert(node.resolve(doc) as Node, doc, positions, at);
  if (isScalar(node)) return node.value;
  const start = at(node.range?.[0] ?? 0);
  const entry = { pos: start, keys: new Map<string, SourcePosition>(), values: new Map<string | number, SourcePosition>() };
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    const merges: unknown[] = [];
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const rawKey = isScalar(keyNode) ? keyNode.value : keyNode;
      const key = typeof rawKey === 'symbol' ? '<<' : String(rawKey);
      if (keyNode?.range) entry.keys.set(key, at(keyNode.range[0]));
      const valueNode = pair.value as Node | null;
      if (valueNode?.range) entry.values.set(key, at(valueNode.range[0]));
      if (key === '<<') {
        merges.push(convert(valueNode, doc, positions, at));
        continue;
      }
      // defineProperty: a YAML key named __proto__ must stay data, never reach the prototype.
      Object.defineProperty(out, key, {
        value: convert(valueNode, doc, positions, at),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    // YAML 1.1 merge keys: merged mappings fill in what the mapping does not set itself.
    for (const merged of merges.flat()) {
      if (!merged || typeof merged !== 'object') continue;
      for (const [k, v] of Object.entries(merged)) if (!Object.prototype.hasOwnProperty.call(out, k)) out[k] = v;
    }
    positions.set(out, entry);
    return out;
  }
  if (isSeq(node)) {
    const out = node.items.map((item, i) => {
      const itemNode = item as Node | null;
      if (itemNode?.range) entry.values.set(i, at(itemNode.range[0]));
      return convert(itemNode, doc, positions, at);
    });
    positions.set(out, entry);
    return out;
  }
  return null;
}
