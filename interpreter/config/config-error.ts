import { PhoenixError } from '../errors.js';
import { jsonPath, type JsonPathSegments } from './json-path.js';
import type { JsonSource } from './json-source.js';

/**
 * A configuration error at a JSON path of a file, with the line:column of the offending value (or of its key, for
 * problems with the key itself: CTIDs, duplicates). The message starts with the file so it stands alone in a list.
 */
export function configError(
  code: string,
  src: JsonSource,
  path: JsonPathSegments,
  message: string,
  options: { atKey?: boolean; hint?: string } = {},
): PhoenixError {
  return new PhoenixError(code, `${src.file}: ${message}`, {
    pos: options.atKey ? src.keyPos(path) : src.valuePos(path),
    jsonPath: jsonPath(path),
    hint: options.hint,
  });
}

/** The string at a path, or undefined when absent or not a string (the schema reports wrong types). */
export function stringAt(src: JsonSource, path: JsonPathSegments): string | undefined {
  let value: unknown = src.value;
  for (const segment of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return typeof value === 'string' ? value : undefined;
}
