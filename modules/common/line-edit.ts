import { expandMatch, pythonRegex } from './python-regex.js';

/** lineinfile's options, after defaults: `insertafter` is 'EOF' when neither insert option is given. */
export interface LineEditOptions {
  line: string;
  regexp?: string;
  search_string?: string;
  insertafter?: string;
  insertbefore?: string;
  backrefs?: boolean;
  firstmatch?: boolean;
}

export interface LineEditResult {
  lines: string[];
  changed: boolean;
  msg: string;
}

/** Splits like Python's readlines(): every line keeps its `\n`, the last may lack one. */
export function readLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

const strip = (line: string) => line.replace(/[\r\n]+$/, '');

/** ansible-core 2.14 lineinfile `present()`, line for line: the last match is replaced unless firstmatch. */
export function presentLine(input: string[], o: LineEditOptions): LineEditResult {
  const lines = [...input];
  const re = o.regexp !== undefined ? pythonRegex(o.regexp) : undefined;
  const insertafter = o.insertafter ?? (o.insertbefore === undefined ? 'EOF' : undefined);
  const insRe = insertafter !== undefined && insertafter !== 'BOF' && insertafter !== 'EOF' ? pythonRegex(insertafter)
    : o.insertbefore !== undefined && o.insertbefore !== 'BOF' ? pythonRegex(o.insertbefore) : undefined;
  const index = [-1, -1];
  let match: RegExpExecArray | boolean | null = null;
  const find = (test: (l: string) => RegExpExecArray | boolean | null) => {
    for (let n = 0; n < lines.length; n++) {
      const found = test(lines[n]);
      if (found) {
        index[0] = n;
        match = found;
        if (o.firstmatch) break;
      }
    }
  };
  if (re) find((l) => re.exec(l));
  if (o.search_string !== undefined) find((l) => l.includes(o.search_string!));
  if (!match) {
    for (let n = 0; n < lines.length; n++) {
      if (o.line === strip(lines[n])) {
        index[0] = n;
      } else if (insRe && insRe.test(lines[n])) {
        if (insertafter !== undefined) index[1] = n + 1;
        if (o.insertbefore !== undefined) index[1] = n;
        if (o.firstmatch) break;
      }
    }
  }
  const add = (at: number): LineEditResult => {
    lines.splice(at, 0, `${o.line}\n`);
    return { lines, changed: true, msg: 'line added' };
  };
  const same = { lines, changed: false, msg: '' };
  if (index[0] !== -1) {
    let newLine = o.backrefs && match && typeof match !== 'boolean' ? expandMatch(match, o.line) : o.line;
    if (!newLine.endsWith('\n')) newLine += '\n';
    if (lines[index[0]] === newLine) return same;
    lines[index[0]] = newLine;
    return { lines, changed: true, msg: 'line replaced' };
  }
  if (o.backrefs) return same;
  if (o.insertbefore === 'BOF' || insertafter === 'BOF') return add(0);
  if (insertafter === 'EOF' || index[1] === -1) {
    if (lines.length && !/[\n\r]$/.test(lines[lines.length - 1])) lines.push('\n');
    return add(lines.length);
  }
  if (insertafter !== undefined && index[1] !== -1) {
    if (lines.length === index[1]) return strip(lines[index[1] - 1]) !== o.line ? add(lines.length) : same;
    return o.line !== strip(lines[index[1]]) ? add(index[1]) : same;
  }
  return add(index[1]);
}

/** ansible-core 2.14 lineinfile `absent()`: every matching line goes. */
export function absentLines(input: string[], o: { line?: string; regexp?: string; search_string?: string }): { lines: string[]; found: number } {
  const re = o.regexp !== undefined ? pythonRegex(o.regexp) : undefined;
  const matches = (l: string) =>
    re ? re.test(l) : o.search_string !== undefined ? l.includes(o.search_string) : o.line === strip(l);
  const lines = input.filter((l) => !matches(l));
  return { lines, found: input.length - lines.length };
}
