import type { RunEvent } from '../events.js';

type ProgressEvent = Extract<RunEvent, { type: 'progress' }>;

const BAR = 20;

/**
 * One terminal row for a long step (a download, an installer): `[host] message [#####...] 45%`. The percentage
 * and bar appear only when the total is known; the row is cut to the terminal width so `\r` can redraw it.
 */
export function progressLine(event: ProgressEvent, columns?: number): string {
  let text = `[${event.host}] ${event.message}`;
  if (event.total !== undefined && event.total > 0 && event.done !== undefined) {
    const ratio = Math.min(1, Math.max(0, event.done / event.total));
    const filled = Math.round(ratio * BAR);
    text += ` [${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${Math.floor(ratio * 100)}%`;
  }
  return columns && columns > 1 && text.length > columns - 1 ? text.slice(0, columns - 1) : text;
}
