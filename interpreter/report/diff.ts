import { createRequire } from 'node:module';
import type * as DiffModule from 'diff';
import type { FileDiff } from '../result.js';
import type { Paint, Palette } from './palette.js';

/** Lines of context around each change, ansible-core's `DIFF_CONTEXT` default. */
const CONTEXT = 3;

/** `diff` (21 files) is loaded on the first diff to print, not at start-up: most runs print none. */
let diffModule: typeof DiffModule | undefined;
function loadDiff(): typeof DiffModule {
  diffModule ??= createRequire(import.meta.url)('diff') as typeof DiffModule;
  return diffModule;
}

/**
 * Unified diffs as `ansible-playbook --diff` prints them: `--- before: path` / `+++ after: path`, hunks, added lines
 * green, removed red, hunk headers cyan, and a blank line after each file that changed. Empty when nothing differs.
 */
export function renderDiffs(diffs: FileDiff[], palette: Palette): string[] {
  const lines: string[] = [];
  for (const diff of diffs) {
    if (diff.before === diff.after) continue;
    const { createTwoFilesPatch, FILE_HEADERS_ONLY } = loadDiff();
    const patch = createTwoFilesPatch(`before: ${diff.path}`, `after: ${diff.path}`, diff.before, diff.after, undefined,
      undefined, { context: CONTEXT, headerOptions: FILE_HEADERS_ONLY });
    let paint: Paint = (line) => line;
    for (const line of patch.replace(/\n$/, '').split('\n')) {
      // Ansible colours `\ No newline at end of file` like the line it follows (difflib joins the two).
      if (!line.startsWith('\\')) paint = paintFor(line, palette);
      lines.push(paint(line));
    }
    lines.push('');
  }
  return lines;
}

function paintFor(line: string, palette: Palette): Paint {
  if (line.startsWith('+')) return palette.diffAdd;
  if (line.startsWith('-')) return palette.diffRemove;
  if (line.startsWith('@@')) return palette.diffLines;
  return (text) => text;
}
