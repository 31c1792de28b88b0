/** A character device node as `ls -l` shows it. */
export interface DeviceNode {
  path: string;
  /** `crw-rw-rw-`. */
  mode: string;
  /** Owner and group names as `ls -l` prints them where it runs (`nobody`/`nogroup` for unmapped host ids). */
  owner: string;
  group: string;
  major: number;
  minor: number;
}

/**
 * Parses `ls -l /dev/nvidia* /dev/nvidia-caps/`: full paths for named arguments, `<dir>:` headers followed by
 * entries for listed directories. Only character devices are kept; a node listed twice (a directory matched
 * by the glob and named again) appears once.
 */
export function parseDeviceListing(text: string): DeviceNode[] {
  const out = new Map<string, DeviceNode>();
  let dir = '';
  for (const line of text.split('\n')) {
    const header = /^(\/\S*?):$/.exec(line);
    if (header) {
      dir = header[1]!.replace(/\/$/, '');
      continue;
    }
    if (line === '') {
      dir = '';
      continue;
    }
    const m = /^(c[rwxsStT-]{9})\S*\s+\d+\s+(\S+)\s+(\S+)\s+(\d+),\s*(\d+)\s+\S+\s+\S+\s+\S+\s+(.+)$/.exec(line);
    if (!m) continue;
    const name = m[6]!;
    const path = name.startsWith('/') ? name : `${dir}/${name}`;
    out.set(path, { path, mode: m[1]!, owner: m[2]!, group: m[3]!, major: Number(m[4]), minor: Number(m[5]) });
  }
  return [...out.values()];
}

/** `crw-r-----` → `0640` (the permission bits; setuid/sticky letters count as their x bit). */
export function octalMode(mode: string): string {
  const bits = mode.slice(1, 10).split('').map((c) => (c === '-' || c === 'S' || c === 'T' ? 0 : 1));
  const digit = (i: number): number => bits[i]! * 4 + bits[i + 1]! * 2 + bits[i + 2]!;
  return `0${digit(0)}${digit(3)}${digit(6)}`;
}
