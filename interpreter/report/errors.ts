import { ErrorListError, PhoenixError } from '../errors.js';
import { createPalette, type Palette } from './palette.js';

export interface FormatErrorOptions {
  color: boolean;
  /** Returns a file's text so the offending line can be shown; without it no excerpt is printed. */
  readSource?: (file: string) => string | undefined;
  /** Append stack traces; defaults to `PHOENIX_DEBUG=1` in the environment. */
  debug?: boolean;
}

/**
 * An error as phoenix prints it, once, before exiting:
 *
 * ```
 * ERROR! [E_CODE] message
 *   --> playbooks/site.yml:12:5
 *    |
 * 12 |     whn: x
 *    |     ^
 *    = host: ct901
 *    = hint: what to do
 * ```
 *
 * An {@link ErrorListError} prints every error it holds, then `N errors`. No trailing newline.
 */
export function formatError(error: PhoenixError | ErrorListError | Error, options: FormatErrorOptions): string {
  const palette = createPalette(options.color);
  const debug = options.debug ?? process.env.PHOENIX_DEBUG === '1';
  if (error instanceof ErrorListError) {
    const count = error.errors.length;
    const parts = error.errors.map((e) => formatOne(e, palette, options.readSource, debug));
    return [...parts, palette.failed(`${count} ${count === 1 ? 'error' : 'errors'}`)].join('\n\n');
  }
  return formatOne(error, palette, options.readSource, debug);
}

function formatOne(error: Error, p: Palette, readSource: FormatErrorOptions['readSource'], debug: boolean): string {
  const code = error instanceof PhoenixError ? `[${error.code}] ` : '';
  const lines = [p.failed(`${p.bold('ERROR!')} ${code}${error.message}`)];
  if (error instanceof PhoenixError) lines.push(...contextLines(error, p, readSource));
  if (debug && error.stack) lines.push(error.stack);
  return lines.join('\n');
}

function contextLines(error: PhoenixError, p: Palette, readSource: FormatErrorOptions['readSource']): string[] {
  const pos = error.pos;
  const excerpt = pos ? sourceLine(pos.file, pos.line, readSource) : undefined;
  // rustc's gutter: as wide as the line number, at least two so `  -->` lines up with the brief's examples.
  const width = Math.max(2, String(pos?.line ?? '').length);
  const pad = ' '.repeat(width);
  const lines: string[] = [];
  if (pos) lines.push(`${pad}${p.frame('-->')} ${pos.file}:${pos.line}:${pos.column}`);
  else if (error.jsonPath) lines.push(`${pad}${p.frame('-->')} ${error.jsonPath}`);
  if (pos && excerpt !== undefined) {
    lines.push(`${pad} ${p.frame('|')}`);
    lines.push(`${p.frame(`${String(pos.line).padStart(width)} |`)} ${excerpt}`);
    lines.push(`${pad} ${p.frame('|')} ${caretPrefix(excerpt, pos.column)}${p.failed('^')}`);
  }
  const notes: Array<[string, string | undefined]> = [
    ['path', pos ? error.jsonPath : undefined],
    ['host', error.host],
    ['task', error.task],
    ['hint', error.hint],
  ];
  for (const [name, value] of notes) {
    if (value !== undefined) lines.push(`${pad} ${p.frame('=')} ${p.hint(`${name}:`)} ${value}`);
  }
  return lines;
}

function sourceLine(file: string, line: number, readSource: FormatErrorOptions['readSource']): string | undefined {
  const text = readSource?.(file);
  if (text === undefined) return undefined;
  return text.split(/\r?\n/)[line - 1];
}

/** Whitespace up to `column`, keeping the line's tabs so the caret lands under the right character. */
function caretPrefix(line: string, column: number): string {
  const before = line.slice(0, Math.max(0, Math.min(column - 1, line.length)));
  return before.replace(/[^\t]/g, ' ');
}
