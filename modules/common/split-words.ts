import { ModuleFailure } from '../types.js';

/**
 * The command lines {@link splitWords} reads: every quote closed, no lone backslash at the end (shlex.split's
 * "No closing quotation" and "No escaped character"). Each alternative starts with a different character: linear.
 */
export const WORDS_PATTERN = `^(?:[^'"\\\\]|\\\\[\\s\\S]|'[^']*'|"(?:[^"\\\\]|\\\\[\\s\\S])*")*$`;

/** What {@link WORDS_PATTERN} admits, in words. */
export const WORDS_EXPECTED = 'a command line whose quotes are all closed and that does not end in a lone backslash (as shlex.split reads it)';

/**
 * Splits a command line into words as Python's `shlex.split` does (what Ansible's command module uses):
 * quotes and backslashes group and escape, nothing is expanded (`$HOME`, `*`, `$(...)` stay literal text).
 * Arguments it splits are checked against {@link WORDS_PATTERN} by their module's schema; the throws below guard
 * other callers.
 */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '' | "'" | '"' = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = '';
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = '';
      else if (c === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) word += text[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw new ModuleFailure('No escaped character');
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new ModuleFailure('No closing quotation');
  if (inWord) words.push(word);
  return words;
}
