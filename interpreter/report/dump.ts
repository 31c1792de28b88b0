/**
 * JSON text as Python's `json.dumps(value, sort_keys=True, ensure_ascii=False, indent=indent)` writes it, which is
 * what Ansible prints after `=>`: keys sorted at every depth, `", "` and `": "` between items on one line.
 */
export function dumpJson(value: unknown, indent?: number): string {
  return write(value, indent, '');
}

function write(value: unknown, indent: number | undefined, pad: string): string {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return 'null';
  if (value === null || typeof value !== 'object') return scalar(value);
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return write((value as { toJSON(): unknown }).toJSON(), indent, pad);
  }
  const entries = Array.isArray(value)
    ? value.map((v) => write(v, indent, pad + ' '.repeat(indent ?? 0)))
    : Object.keys(value)
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .sort()
        .map((k) => `${JSON.stringify(k)}: ${write((value as Record<string, unknown>)[k], indent, pad + ' '.repeat(indent ?? 0))}`);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return open + close;
  if (indent === undefined) return open + entries.join(', ') + close;
  const inner = pad + ' '.repeat(indent);
  return `${open}\n${inner}${entries.join(`,\n${inner}`)}\n${pad}${close}`;
}

function scalar(value: unknown): string {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  }
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value);
}
