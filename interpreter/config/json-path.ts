/** Path segments from a JSON document's root: object keys and array indexes. */
export type JsonPathSegments = ReadonlyArray<string | number>;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The JSON path users see in errors: `$.lxc_configs["901"].gpu_assignment`, `$.lxc_configs["901"].features[0]`.
 * Keys that are not identifiers (CTIDs are digits) are written in brackets, quoted as JSON strings.
 */
export function jsonPath(segments: JsonPathSegments): string {
  let out = '$';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (IDENTIFIER.test(s)) out += `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}
