import { ModuleFailure } from '../types.js';

/**
 * Compiles a Python `re` pattern as JavaScript. Differences that matter for line editing are translated:
 * `(?P<name>...)` and `(?P=name)`, `\A`/`\Z`, leading inline flags `(?i)`, and `$`, which in Python also matches
 * before a final newline (lineinfile matches lines that end with one).
 */
export function pythonRegex(pattern: string): RegExp {
  let out = '';
  let inClass = false;
  let flags = '';
  let i = 0;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(pattern);
  if (inline) {
    if (inline[1].includes('x')) throw new ModuleFailure(`regular expression flag (?x) is not supported: ${pattern}`);
    flags = [...new Set(inline[1].replace(/[aLu]/g, ''))].join('');
    i = inline[0].length;
  }
  for (; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      i++;
      if (!inClass && next === 'A') out += '^';
      else if (!inClass && next === 'Z') out += '$(?![\\s\\S])';
      else out += c + next;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
      if (pattern[i + 1] === '^') out += pattern[++i];
      if (pattern[i + 1] === ']') out += `\\${pattern[++i]}`;
    } else if (c === '$') {
      out += '(?=\\n?$)';
    } else if (pattern.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
    } else if (pattern.startsWith('(?P=', i)) {
      const end = pattern.indexOf(')', i);
      out += `\\k<${pattern.slice(i + 4, end)}>`;
      i = end;
    } else {
      out += c;
    }
  }
  try {
    return new RegExp(out, flags);
  } catch (error) {
    throw new ModuleFailure(`invalid regular expression ${JSON.stringify(pattern)}: ${(error as Error).message}`);
  }
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v', a: '\x07', b: '\b', '\\': '\\' };

/** Python's `match.expand(template)`: `\1`, `\g<1>`, `\g<name>` and the usual escapes; a missing group is empty. */
export function expandMatch(match: RegExpExecArray, template: string): string {
  return template.replace(/\\(\d{1,2}|g<([^>]*)>|.)/g, (whole, what: string, group: string | undefined) => {
    if (group !== undefined) {
      const value = /^\d+$/.test(group) ? match[Number(group)] : match.groups?.[group];
      if (value === undefined && !(/^\d+$/.test(group) ? Number(group) < match.length : match.groups && group in match.groups)) {
        throw new ModuleFailure(`invalid group reference ${group} in line`);
      }
      return value ?? '';
    }
    if (/^\d+$/.test(what)) {
      if (Number(what) >= match.length) throw new ModuleFailure(`invalid group reference ${what} in line`);
      return match[Number(what)] ?? '';
    }
    return ESCAPES[what] ?? whole;
  });
}
