/** A `mode` argument as Ansible accepts it: an int (the mode itself), an octal string, or symbolic (`u+x,g-w`). */
export type ModeArg = string | number;

/** A string mode: octal (up to 4 digits, a leading 0 aside), `preserve`, or chmod-style symbolic clauses. */
const SYMBOLIC_CLAUSE = '[ugoa]*[-+=](?:[rwxXst]*|[ugo])';
export const MODE_PATTERN = `^\\s*(?:0?[0-7]{1,4}|preserve|${SYMBOLIC_CLAUSE}(?:,${SYMBOLIC_CLAUSE})*)\\s*$`;

/**
 * JSON schema of a `mode` argument: an int is the mode itself (YAML's `0644` is octal), a string is octal, symbolic
 * or `preserve`. The one place these rules are checked (load time for literals, run time for rendered values).
 */
export const modeSchema = {
  type: ['string', 'integer'],
  minimum: 0,
  maximum: 0o7777,
  pattern: MODE_PATTERN,
  expected: "an octal mode such as '0644' (at most 07777), a symbolic mode such as 'u+rwx,g-w', or 'preserve'",
} as const;

/** Formats permission bits as Ansible shows them: `'0644'`. */
export function formatMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/**
 * The permission bits a `mode` argument asks for, given the current bits (symbolic modes are relative).
 * `preserve` keeps `current`. The argument has passed {@link modeSchema}.
 */
export function resolveMode(arg: ModeArg, current: number, isDirectory: boolean): number {
  if (typeof arg === 'number') return arg;
  const text = arg.trim();
  if (text === 'preserve') return current & 0o7777;
  if (/^[0-7]+$/.test(text)) return parseInt(text, 8);
  return applySymbolic(text, current & 0o7777, isDirectory);
}

const WHO: Record<string, number> = { u: 0o4700, g: 0o2070, o: 0o1007, a: 0o7777 };

/** chmod(1)-style symbolic modes: comma-separated `[ugoa]*[-+=][rwxXst]*` clauses. */
function applySymbolic(text: string, current: number, isDirectory: boolean): number {
  let mode = current;
  for (const clause of text.split(',')) {
    const m = /^([ugoa]*)([-+=])([rwxXst]*|[ugo])$/.exec(clause)!;
    const who = m[1] === '' ? 'a' : m[1];
    let mask = 0;
    for (const w of who) mask |= WHO[w];
    const bits = permBits(m[3], mode, isDirectory) & mask;
    if (m[2] === '+') mode |= bits;
    else if (m[2] === '-') mode &= ~bits;
    else mode = (mode & ~mask) | bits;
  }
  return mode;
}

/** The bits for every class of a permission string; the caller masks them to the classes named. */
function permBits(perms: string, current: number, isDirectory: boolean): number {
  if (/^[ugo]$/.test(perms)) {
    const shift = perms === 'u' ? 6 : perms === 'g' ? 3 : 0;
    const p = (current >> shift) & 7;
    return (p << 6) | (p << 3) | p;
  }
  let bits = 0;
  for (const p of perms) {
    if (p === 'r') bits |= 0o444;
    else if (p === 'w') bits |= 0o222;
    else if (p === 'x') bits |= 0o111;
    else if (p === 'X') bits |= isDirectory || current & 0o111 ? 0o111 : 0;
    else if (p === 's') bits |= 0o6000;
    else if (p === 't') bits |= 0o1000;
  }
  return bits;
}
