/**
 * Python's `fnmatch.translate` (3.11), which ansible-core uses for host patterns: `*` matches anything (dots and
 * slashes included), `?` one character, `[seq]`/`[!seq]` a class; an unclosed `[` is literal. Case-sensitive.
 * picomatch is not used here because its path-glob rules differ (`*` stops at `/`, `[!a]` and `(` mean other things).
 */
export function fnmatchToRegExp(pattern: string): RegExp {
  let out = '';
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i++];
    if (c === '*') {
      if (!out.endsWith('.*')) out += '.*';
    } else if (c === '?') {
      out += '.';
    } else if (c === '[') {
      const end = classEnd(pattern, i);
      if (end < 0) {
        out += '\\[';
        continue;
      }
      out += classRegExp(pattern.slice(i, end));
      i = end + 1;
    } else {
      out += escapeRegExp(c);
    }
  }
  return new RegExp(`^(?:${out})$`, 's');
}

/** Index of the `]` closing a class whose content starts at `start`, or -1. */
function classEnd(pattern: string, start: number): number {
  let j = start;
  if (pattern[j] === '!') j++;
  if (pattern[j] === ']') j++;
  while (j < pattern.length && pattern[j] !== ']') j++;
  return j < pattern.length ? j : -1;
}

function classRegExp(stuff: string): string {
  if (!stuff) return '(?!)';
  if (stuff === '!') return '.';
  let body = stuff.replace(/\\/g, '\\\\').replace(/]/g, '\\]');
  if (body.startsWith('!')) body = '^' + body.slice(1);
  else if (body.startsWith('^') || body.startsWith('[')) body = '\\' + body;
  return `[${body}]`;
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
