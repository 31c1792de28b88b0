import type { HostStats } from '../result.js';
import type { Palette, Paint } from './palette.js';

/** Width of the host column; Ansible pads with `%-26s`. */
const HOST_WIDTH = 26;

/**
 * The lines under `PLAY RECAP`, one per host in sorted order, aligned like Ansible's (`%-26s : ok=%-4s ...`, so
 * each line ends with the padding of `ignored`). Counts are coloured only when non-zero, the host by its worst outcome.
 */
export function recapLines(stats: Record<string, HostStats>, palette: Palette): string[] {
  return Object.keys(stats)
    .sort()
    .map((host) => {
      const t = stats[host];
      const counts: Array<[string, number, Paint]> = [
        ['ok', t.ok, palette.ok],
        ['changed', t.changed, palette.changed],
        ['unreachable', t.unreachable, palette.unreachable],
        ['failed', t.failed, palette.failed],
        ['skipped', t.skipped, palette.skipped],
        ['rescued', t.rescued, palette.ok],
        ['ignored', t.ignored, palette.warning],
      ];
      const cells = counts.map(([name, n, paint]) => {
        const cell = `${name}=${String(n).padEnd(4)}`;
        return n === 0 ? cell : paint(cell);
      });
      return `${hostPaint(t, palette)(host)}${' '.repeat(Math.max(0, HOST_WIDTH - host.length))} : ${cells.join(' ')}`;
    });
}

function hostPaint(t: HostStats, palette: Palette): Paint {
  if (t.failed !== 0 || t.unreachable !== 0) return palette.failed;
  if (t.changed !== 0) return palette.changed;
  return palette.ok;
}
