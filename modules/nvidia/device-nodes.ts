/** A character device node as `ls -l` shows it. */
export interface DeviceNode {
  path: string;
  /** `crw-rw-rw-`. */
  mode: string;
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
    const m = /^(c[rwxsStT-]{9})\S*\s+\d+\s+\S+\s+\S+\s+(\d+),\s*(\d+)\s+\S+\s+\S+\s+\S+\s+(.+)$/.exec(line);
    if (!m) continue;
    const name = m[4]!;
    const path = name.startsWith('/') ? name : `${dir}/${name}`;
    out.set(path, { path, mode: m[1]!, major: Number(m[2]), minor: Number(m[3]) });
  }
  return [...out.values()];
}
