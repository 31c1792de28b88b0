import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import type { FileDiff } from '../result.js';
import type { Palette } from './palette.js';

/** Lines of context around each change, ansible-core's `DIFF_CONTEXT` default. */
const CONTEXT = 3;

/**
 * Unified diffs as `ansible-playbook --diff` prints them: `--- before: path` / `+++ after: path`, hunks, added lines
 * green, removed red, hunk headers cyan, and a blank line after each file that changed. Empty when nothing differs.
 */
export function renderDiffs(diffs: FileDiff[], palette: Palette): string[] {
  const lines: string[] = [];
  for (const diff of diffs) {
    if (diff.before === diff.after) continue;
    const patch = createTwoFilesPatch(`before: ${diff.path}`, `after: ${diff.path}`, diff.before, diff.after, undefined,
      undefined, { context: CONTEXT, headerOptions: FILE_HEADERS_ONLY });
    for (const line of patch.replace(/\n$/, '').split('\n')) lines.push(paintLine(line, palette));
    lines.push('');
  }
  return lines;
}

function paintLine(line: string, palette: Palette): string {
  if (line.startsWith('+')) return palette.diffAdd(line);
  if (line.startsWith('-')) return palette.diffRemove(line);
  if (line.startsWith('@@')) return palette.diffLines(line);
  return line;
}
