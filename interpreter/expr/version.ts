const VERSION_PART = /\d+|[a-z]+/gi;

/** Ansible's loose version comparison: numeric parts compare as numbers, others as text. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => (v.match(VERSION_PART) ?? []).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const left = parse(a);
  const right = parse(b);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    if (i >= left.length) return -1;
    if (i >= right.length) return 1;
    const [x, y] = [left[i], right[i]];
    if (x === y) continue;
    if (typeof x !== typeof y) return typeof x === 'number' ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return 0;
}
