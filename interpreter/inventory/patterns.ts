import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { PhoenixError } from '../errors.js';
import { fnmatchToRegExp } from './fnmatch.js';
import { groupHosts } from './graph.js';
import { parseAddress } from './host-range.js';
import { findHost } from './host-vars.js';
import type { Inventory } from './types.js';

export interface PatternOptions {
  /** Exit code of pattern errors: 1 (default) for `--limit`, 4 for a play's `hosts:` (found by reading files). */
  exitCode?: number;
  /** Directory `@file` limits are relative to (default: the current directory). */
  cwd?: string;
}

/** ansible-core's PATTERN_WITH_SUBSCRIPT: `expr[3]`, `expr[-1]`, `expr[1:3]`, `expr[2:]` (and the old `expr[1-3]`). */
const SUBSCRIPT = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$/s;

function patternError(message: string, exitCode: number, hint?: string): PhoenixError {
  return new PhoenixError('E_PATTERN', message, { hint }, exitCode);
}

/**
 * ansible-core's split_host_pattern: `a,b,c` splits at commas; otherwise at `:` outside brackets, unless the whole
 * pattern is one address (IPv6, `host[1:3]`). Stricter than ansible: an empty part (except one trailing comma,
 * as in `-l pve1,`), an unclosed `[` or a bare `!`/`&` is an error instead of being dropped silently.
 */
export function splitHostPattern(pattern: string | string[], exitCode = 1): string[] {
  if (Array.isArray(pattern)) return pattern.flatMap((p) => splitHostPattern(p, exitCode));
  const text = String(pattern).trim();
  if (!text) throw patternError('empty host pattern', exitCode);
  let parts: string[];
  if (text.includes(',')) {
    parts = text.split(',').map((p) => p.trim());
    if (parts.length > 1 && parts.at(-1) === '') parts.pop();
  } else if (parseAddress(text)) {
    parts = [text];
  } else {
    parts = splitAtColons(text, exitCode);
  }
  for (const part of parts) if (!part) throw patternError(`empty part in host pattern '${text}'`, exitCode, 'separate patterns with a single , or :');
  return parts;
}

/** Splits at `:` outside `[...]` (regexes included); whitespace separates too, as in ansible's regular expression. */
function splitAtColons(text: string, exitCode: number): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const close = c === '[' ? text.indexOf(']', i) : -1;
    if (c === '[' && close < 0 && !current.trimStart().startsWith('~')) {
      throw patternError(`unclosed '[' in host pattern '${text}'`, exitCode);
    } else if (close >= 0) {
      current += text.slice(i, close + 1);
      i = close;
    } else if (c === ':') {
      parts.push(current.trim());
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current.trim());
  return parts.flatMap((p) => (/\s/.test(p) ? p.split(/\s+/).filter(Boolean) : [p]));
}

/** A compiled single pattern (without its `!`/`&` prefix). */
interface Matcher {
  expr: string;
  test: (name: string) => boolean;
  subscript?: [number, number | undefined];
  regex: boolean;
}

function compileOne(part: string, exitCode: number): Matcher {
  const body = part.replace(/^[!&]/, '');
  if (!body || /^[!&]/.test(body)) throw patternError(`invalid host pattern '${part}'`, exitCode, "use one of ! (exclude) or & (intersect) before a name");
  if (body.startsWith('~')) return { expr: body, test: pythonMatch(body.slice(1), part, exitCode), regex: true };
  const m = SUBSCRIPT.exec(body);
  const expr = m ? m[1] : body;
  let depth = 0;
  for (const c of expr) depth = c === '[' ? depth + 1 : c === ']' && depth > 0 ? depth - 1 : depth;
  if (depth > 0) throw patternError(`unclosed '[' in host pattern '${part}'`, exitCode);
  const re = fnmatchToRegExp(expr);
  const subscript: Matcher['subscript'] = m ? (m[2] !== undefined ? [Number(m[2]), undefined] : [Number(m[3]), m[5] ? Number(m[5]) : -1]) : undefined;
  return { expr, test: (name) => re.test(name), subscript, regex: false };
}

/** `~regex`: Python's re.match, anchored at the start only. */
function pythonMatch(source: string, part: string, exitCode: number): (name: string) => boolean {
  if (!source) throw patternError(`empty regular expression in host pattern '${part}'`, exitCode);
  const js = source.replace(/\(\?P</g, '(?<').replace(/\(\?P=(\w+)\)/g, '\\k<$1>').replace(/\\A/g, '^').replace(/\\Z/g, '$');
  try {
    const re = new RegExp(`^(?:${js})`);
    return (name) => re.test(name);
  } catch (e) {
    throw patternError(`invalid regular expression in host pattern '${part}': ${(e as Error).message}`, exitCode);
  }
}

/** ansible-core's _apply_subscript, quirks included (`[2:0]` is index 2); an index out of range gives no hosts. */
function applySubscript(hosts: string[], subscript: Matcher['subscript']): string[] {
  if (!hosts.length || !subscript) return hosts;
  const [start, end] = subscript;
  if (end) return hosts.slice(start, (end === -1 ? hosts.length - 1 : end) + 1);
  const index = start < 0 ? hosts.length + start : start;
  return index >= 0 && index < hosts.length ? [hosts[index]] : [];
}

/** ansible-core's _enumerate_matches: groups whose name matches (all their hosts), and hosts whose name matches. */
function enumerateMatches(inv: Inventory, m: Matcher): string[] {
  const groups = [...inv.groups.keys()].filter(m.test);
  const results = groups.flatMap((g) => groupHosts(inv, g));
  if (!groups.length || m.regex || /[.?*[]/.test(m.expr)) results.push(...[...inv.hosts.keys()].filter(m.test));
  if (!results.length) {
    const local = findHost(inv, m.expr);
    if (local) results.push(local.name);
  }
  return results;
}

/** ansible-core's order_patterns: unions in order, then intersections, then exclusions; only `!`/`&` means `all` first. */
function orderPatterns(parts: string[]): string[] {
  const regular = parts.filter((p) => p[0] !== '!' && p[0] !== '&');
  return [...(regular.length ? regular : ['all']), ...parts.filter((p) => p[0] === '&'), ...parts.filter((p) => p[0] === '!')];
}

function evaluatePatterns(inv: Inventory, parts: string[], exitCode: number): string[] {
  let hosts: string[] = [];
  for (const part of orderPatterns(parts)) {
    const that = inv.hosts.has(part) ? [part] : (() => {
      const m = compileOne(part, exitCode);
      return applySubscript(enumerateMatches(inv, m), m.subscript);
    })();
    if (part[0] === '!') {
      const excluded = new Set(that);
      hosts = hosts.filter((h) => !excluded.has(h));
    } else if (part[0] === '&') {
      const kept = new Set(that);
      hosts = hosts.filter((h) => kept.has(h));
    } else {
      const present = new Set(hosts);
      for (const h of that) if (!present.has(h)) present.add(h) && hosts.push(h);
    }
  }
  return hosts;
}

/**
 * Hosts matching an ansible host pattern (a play's `hosts:`, or `ansible PATTERN`), in ansible-core's order:
 * each union term's hosts in turn (a group's own hosts, then its children's), deduplicated; then intersections;
 * then exclusions. Names: `all`/`*`, hosts, groups, globs (`ct9*`), `~regex`, subscripts (`lxc[0]`, `lxc[1:3]`).
 * A part `@file` stands for the patterns in that file, one per line (relative to `options.cwd`; meant for --limit).
 * Matching nothing returns [] (the caller warns). A malformed pattern throws PhoenixError `E_PATTERN`.
 */
export function selectHosts(inv: Inventory, pattern: string | string[], options: PatternOptions = {}): string[] {
  const exitCode = options.exitCode ?? 1;
  const parts = expandPattern(pattern, options.cwd, exitCode);
  for (const part of parts) if (!inv.hosts.has(part)) compileOne(part, exitCode);
  return evaluatePatterns(inv, parts, exitCode);
}

/** Splits a pattern and replaces each `@file` part by the file's lines (each line one pattern, as ansible's --limit). */
function expandPattern(pattern: string | string[], cwd: string | undefined, exitCode: number): string[] {
  return splitHostPattern(pattern, exitCode).flatMap((p) => (p.startsWith('@') ? readLimitFile(p.slice(1), cwd, exitCode) : [p]));
}

/** `--limit`: keeps the `hosts` (in their order) that the limit pattern selects, as ansible-core's subset. */
export function limitHosts(inv: Inventory, hosts: string[], limit: string | string[], options: PatternOptions = {}): string[] {
  const allowed = new Set(selectHosts(inv, limit, options));
  return hosts.filter((h) => allowed.has(h));
}

function readLimitFile(file: string, cwd: string | undefined, exitCode: number): string[] {
  const path = resolve(cwd ?? process.cwd(), file);
  let text: string;
  try {
    if (statSync(path).isDirectory()) throw new Error('is a directory');
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new PhoenixError('E_LIMIT_FILE', `cannot read limit file ${path}: ${(e as Error).message}`, { hint: 'a limit starting with @ names a file listing hosts, one per line' }, exitCode);
  }
  return text.split('\n').map((l) => l.trim()).filter(Boolean);
}
