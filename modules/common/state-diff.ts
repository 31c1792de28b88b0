import type { FileDiff } from '../../interpreter/result.js';

/**
 * A diff of small state records as Ansible shows them for the file module (`{"path": ..., "state": "absent"}` →
 * `{"path": ..., "state": "file"}`): keys sorted, JSON indented by 4, one key per line.
 */
export function stateDiff(path: string, before: Record<string, unknown>, after: Record<string, unknown>): FileDiff {
  return { path, before: sortedJson({ path, ...before }), after: sortedJson({ path, ...after }) };
}

function sortedJson(value: Record<string, unknown>): string {
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) if (value[key] !== undefined) sorted[key] = value[key];
  return `${JSON.stringify(sorted, null, 4)}\n`;
}
