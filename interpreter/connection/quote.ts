/**
 * The one quoting function: every string that reaches a shell goes through here.
 * POSIX single quotes cannot be escaped inside, so a quote closes, an escaped quote follows, and the quote reopens.
 */
export function quote(value: string | number): string {
  const text = String(value);
  if (text !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(text)) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A piece of shell syntax (a pipe, a redirection) that must not be quoted. Build it only from constants. */
export class ShellSyntax {
  constructor(readonly text: string) {}
}

/** Marks a constant piece of shell syntax, e.g. `raw('&&')`, `raw('2>/dev/null')`. */
export function raw(text: string): ShellSyntax {
  return new ShellSyntax(text);
}

/** Joins command parts into one shell command line; strings are quoted, {@link ShellSyntax} is kept as is. */
export function shellCommand(...parts: Array<string | number | ShellSyntax>): string {
  return parts.map((p) => (p instanceof ShellSyntax ? p.text : quote(p))).join(' ');
}
