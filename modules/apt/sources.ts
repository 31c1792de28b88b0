/**
 * apt source definitions in both formats apt reads: one-line `sources.list` / `*.list` and deb822 `*.sources`.
 * Parsing keeps each entry's line span so an entry can be removed (or one URI dropped from a deb822 stanza)
 * while every other byte of the file stays as it was.
 */

/** One `deb`/`deb-src` definition: a one-line entry or a deb822 stanza. */
export interface SourceEntry {
  format: 'list' | 'deb822';
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
  /** Options by lower-cased name (`signed-by`, `arch`, `architectures`, ...), values as written. */
  options: Record<string, string>;
  /** deb822 `Enabled: no` stanzas are read by apt but ignored. */
  enabled: boolean;
  /** First and last line index (0-based, inclusive) of the entry in its file. */
  first: number;
  last: number;
  /** deb822 only: the line span of the `URIs` field (with continuation lines) and its name as written. */
  urisField?: { first: number; last: number; name: string };
}

/** A sources file as read from the host. */
export interface SourceFile {
  path: string;
  text: string;
}

/** What removing a URI did to one file: its new text, or null when the file is to be deleted. */
export interface FileEdit {
  path: string;
  before: string;
  after: string | null;
  /** Human descriptions of the definitions removed. */
  removed: string[];
}

/** The format apt reads a file in, by its name (apt itself decides by the extension). */
export function formatOf(path: string): 'list' | 'deb822' {
  return path.endsWith('.sources') ? 'deb822' : 'list';
}

/** Splits text into lines that keep their line endings, so joining them gives the text back byte for byte. */
export function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** URIs compare without trailing slashes and with scheme and host lower-cased; http and https stay different. */
export function normalizeUri(uri: string): string {
  const trimmed = uri.trim().replace(/\/+$/, '');
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/]*)(.*)$/.exec(trimmed);
  return m ? `${m[1].toLowerCase()}${m[2].toLowerCase()}${m[3]}` : trimmed;
}

/** Parses a file in the format its name says. */
export function parseSources(file: SourceFile): SourceEntry[] {
  return formatOf(file.path) === 'deb822' ? parseDeb822(file.text) : parseList(file.text);
}

/** The part of a one-line entry before a `#` comment; a `#` inside `[...]` options does not start one (as in apt). */
function stripComment(line: string): string {
  let inOptions = false;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '[') inOptions = true;
    else if (line[i] === ']') inOptions = false;
    else if (line[i] === '#' && !inOptions) return line.slice(0, i);
  }
  return line;
}

/** Parses one-line entries; comments, blank and malformed lines are not entries. */
export function parseList(text: string): SourceEntry[] {
  const entries: SourceEntry[] = [];
  splitLines(text).forEach((line, index) => {
    const entry = parseListLine(stripComment(line.replace(/\r?\n$/, '')).trim());
    if (entry) entries.push({ ...entry, first: index, last: index });
  });
  return entries;
}

function parseListLine(text: string): Omit<SourceEntry, 'first' | 'last'> | null {
  const m = /^(deb|deb-src)\s+(?:\[([^\]]*)\]\s*)?(\S+)\s+(\S+)\s*(.*)$/.exec(text);
  if (!m) return null;
  const options: Record<string, string> = {};
  for (const word of (m[2] ?? '').trim().split(/\s+/).filter(Boolean)) {
    const eq = word.indexOf('=');
    if (eq > 0) options[word.slice(0, eq).toLowerCase()] = word.slice(eq + 1);
  }
  return {
    format: 'list',
    types: [m[1]],
    uris: [m[3]],
    suites: [m[4]],
    components: m[5].split(/\s+/).filter(Boolean),
    options,
    enabled: true,
  };
}

interface Field {
  name: string;
  value: string;
  first: number;
  last: number;
}

/** Groups deb822 lines into paragraphs (runs of non-blank lines) with their fields. */
function paragraphs(lines: string[]): Array<{ first: number; last: number; fields: Field[] }> {
  const out: Array<{ first: number; last: number; fields: Field[] }> = [];
  let current: { first: number; last: number; fields: Field[] } | undefined;
  lines.forEach((line, index) => {
    const body = line.replace(/\r?\n$/, '');
    if (body.trim() === '') {
      current = undefined;
      return;
    }
    if (!current) out.push((current = { first: index, last: index, fields: [] }));
    current.last = index;
    if (body.startsWith('#')) return;
    const previous = current.fields.at(-1);
    if (/^[ \t]/.test(body) && previous) {
      previous.value += `\n${body.trim()}`;
      previous.last = index;
      return;
    }
    const m = /^([^:\s]+)\s*:\s*(.*)$/.exec(body);
    if (m) current.fields.push({ name: m[1], value: m[2].trim(), first: index, last: index });
  });
  return out;
}

/** Parses deb822 stanzas; a paragraph without `Types` and `URIs` (a comment block) is not an entry. */
export function parseDeb822(text: string): SourceEntry[] {
  const entries: SourceEntry[] = [];
  for (const p of paragraphs(splitLines(text))) {
    const get = (name: string) => p.fields.find((f) => f.name.toLowerCase() === name);
    const words = (name: string) => (get(name)?.value ?? '').split(/\s+/).filter(Boolean);
    const uris = get('uris');
    if (!get('types') || !uris) continue;
    const options: Record<string, string> = {};
    for (const f of p.fields) {
      const key = f.name.toLowerCase();
      if (!['types', 'uris', 'suites', 'components', 'enabled'].includes(key)) options[key] = f.value;
    }
    entries.push({
      format: 'deb822',
      types: words('types'),
      uris: words('uris'),
      suites: words('suites'),
      components: words('components'),
      options,
      enabled: (get('enabled')?.value ?? 'yes').toLowerCase() !== 'no',
      first: p.first,
      last: p.last,
      urisField: { first: uris.first, last: uris.last, name: uris.name },
    });
  }
  return entries;
}

/** Whether an active entry defines `uri` (normalized comparison). */
export function definesUri(entry: SourceEntry, uri: string): boolean {
  const wanted = normalizeUri(uri);
  return entry.enabled && entry.uris.some((u) => normalizeUri(u) === wanted);
}

/** A one-line description of an entry for change summaries: `deb [signed-by=...] URI SUITE`. */
export function describeEntry(entry: SourceEntry, uri?: string): string {
  const signedBy = entry.options['signed-by'];
  const by = signedBy === undefined ? 'no signed-by' : `signed-by=${signedBy.split('\n')[0]}`;
  return `${entry.types.join(',')} ${uri ?? entry.uris.join(',')} ${entry.suites.join(',')} (${by})`;
}

/** Whether anything but comments and blank lines is left. */
function hasContent(lines: string[]): boolean {
  return lines.some((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
}

/**
 * Removes every active definition of `uri` from a file: a one-line entry loses its line, a deb822 stanza with only
 * this URI loses its paragraph (and the blank lines after it), a stanza with more URIs keeps the others. Null when
 * the file does not define the URI. `after` is null (delete the file) when nothing but comments is left, unless
 * `keepFile` (the main `/etc/apt/sources.list`).
 */
export function removeUri(file: SourceFile, uri: string, keepFile = false): FileEdit | null {
  const entries = parseSources(file).filter((e) => definesUri(e, uri));
  if (entries.length === 0) return null;
  const lines: Array<string | null> = splitLines(file.text);
  const wanted = normalizeUri(uri);
  for (const entry of entries) {
    const others = entry.uris.filter((u) => normalizeUri(u) !== wanted);
    if (entry.urisField && others.length > 0) {
      const f = entry.urisField;
      const ending = /\r?\n$/.exec(lines[f.last] ?? '')?.[0] ?? '\n';
      for (let i = f.first; i <= f.last; i++) lines[i] = null;
      lines[f.first] = `${f.name}: ${others.join(' ')}${ending}`;
      continue;
    }
    for (let i = entry.first; i <= entry.last; i++) lines[i] = null;
    if (entry.format === 'deb822') dropSeparator(lines, entry.last);
  }
  const kept = lines.filter((l): l is string => l !== null);
  const removed = entries.map((e) => describeEntry(e, e.uris.find((u) => normalizeUri(u) === wanted)));
  const after = kept.join('');
  return { path: file.path, before: file.text, after: hasContent(kept) || keepFile ? after : null, removed };
}

/** After a removed stanza, the blank lines up to the next paragraph go too (at the end: the ones before it). */
function dropSeparator(lines: Array<string | null>, last: number): void {
  const blank = (l: string | null) => l !== null && l.trim() === '';
  let i = last + 1;
  while (i < lines.length && blank(lines[i])) lines[i++] = null;
  if (i < lines.length) return;
  for (let j = last; j >= 0 && (lines[j] === null || blank(lines[j])); j--) lines[j] = null;
}
