import { valueError } from './values.js';

/** Options shared by `regex_search`, `regex_replace`, `match`, `search`... (Ansible's keyword arguments). */
export interface RegexOptions {
  ignorecase?: unknown;
  multiline?: unknown;
}

/**
 * Compiles a Python regular expression as a JavaScript one: named groups `(?P<n>...)`, back references `(?P=n)`
 * and leading inline flags `(?i)` are translated; the rest of the common syntax is the same in both.
 */
export function pyRegex(pattern: string, options: RegexOptions = {}, extraFlags = ''): RegExp {
  let source = pattern;
  let flags = extraFlags;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(source);
  if (inline) {
    source = source.slice(inline[0].length);
    for (const flag of inline[1]) {
      if ('ims'.includes(flag)) flags += flag;
      else if (flag === 'x') throw valueError(`regular expression flag (?x) is not supported: ${pattern}`);
    }
  }
  if (options.ignorecase === true) flags += 'i';
  if (options.multiline === true) flags += 'm';
  source = source
    .replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\Z/g, '$');
  try {
    return new RegExp(source, [...new Set(flags)].join(''));
  } catch (error) {
    throw valueError(`invalid regular expression ${JSON.stringify(pattern)}: ${(error as Error).message}`);
  }
}

/** The group a Python reference names (`1`, `name`), or undefined when the match has no such group. */
export function group(match: RegExpExecArray, ref: string): string | undefined {
  if (/^\d+$/.test(ref)) {
    const index = Number(ref);
    if (index >= match.length) throw valueError(`invalid group reference ${ref}`);
    return match[index];
  }
  if (!match.groups || !Object.prototype.hasOwnProperty.call(match.groups, ref)) {
    throw valueError(`unknown group name '${ref}'`);
  }
  return match.groups[ref];
}

/** Expands a Python replacement template (`\1`, `\g<1>`, `\g<name>`, `\n`, `\\`) for one match. */
export function expandTemplate(template: string, match: RegExpExecArray): string {
  return template.replace(/\\(?:g<(\w+)>|(\d{1,2})|(.))/gs, (whole, named?: string, number?: string, other?: string) => {
    if (named !== undefined) return group(match, named) ?? '';
    if (number !== undefined) return group(match, number) ?? '';
    const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\' };
    return other !== undefined && Object.prototype.hasOwnProperty.call(escapes, other) ? escapes[other] : whole;
  });
}

/** Python `re.sub(pattern, template, text, count)`. */
export function pySub(regex: RegExp, template: string, text: string, count = 0): string {
  const global = new RegExp(regex.source, regex.flags.includes('g') ? regex.flags : regex.flags + 'g');
  let out = '';
  let last = 0;
  let done = 0;
  for (let match = global.exec(text); match && (count <= 0 || done < count); match = global.exec(text)) {
    out += text.slice(last, match.index) + expandTemplate(template, match);
    last = match.index + match[0].length;
    done++;
    if (match[0].length === 0) global.lastIndex++;
  }
  return out + text.slice(last);
}
