/** A JSON object (what `JSON.parse` gives for `{...}`). */
export type JsonObject = { [key: string]: unknown };

export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * `patch` deep-merged into `base`: objects merge key by key, anything else (arrays, scalars, null) replaces. The
 * keys of `base` keep their order and new ones follow in `patch`'s order, so a rewritten file reads like the old one.
 */
export function deepMerge(base: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(base)) define(out, key, value);
  for (const [key, value] of Object.entries(patch)) {
    const old = Object.hasOwn(base, key) ? base[key] : undefined;
    define(out, key, isJsonObject(old) && isJsonObject(value) ? deepMerge(old, value) : value);
  }
  return out;
}

/** `__proto__` is an ordinary key in JSON: define it, never assign it (assignment would change the prototype). */
function define(target: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The dotted paths (`runtimes.nvidia`) whose values `patch` changes in `base`, outermost differing level. */
export function changedPaths(base: JsonObject, patch: JsonObject, prefix = ''): string[] {
  return Object.entries(patch).flatMap(([key, value]) => {
    const path = `${prefix}${key}`;
    const old = Object.hasOwn(base, key) ? base[key] : undefined;
    if (isJsonObject(old) && isJsonObject(value)) return changedPaths(old, value, `${path}.`);
    return old !== undefined && jsonEqual(old, value) ? [] : [path];
  });
}

/** Equal as JSON values (key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (isJsonObject(a) && isJsonObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return a === b;
}
