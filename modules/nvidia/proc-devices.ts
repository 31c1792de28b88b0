/** One character device driver line of `/proc/devices`: `238 nvidia-uvm`. */
export interface CharDevice {
  major: number;
  name: string;
}

/**
 * Parses `cat /proc/devices`: the "Character devices:" section only (block majors overlap character majors,
 * e.g. 253 is `dimmctl` and `zram`). A major may carry several names (195 nvidia and nvidiactl).
 */
export function parseProcDevices(text: string): CharDevice[] {
  const out: CharDevice[] = [];
  let inChar = false;
  for (const line of text.split('\n')) {
    if (/^Character devices:/.test(line)) inChar = true;
    else if (/^[A-Za-z].*:\s*$/.test(line)) inChar = false;
    else if (inChar) {
      const m = /^\s*(\d+)\s+(\S.*?)\s*$/.exec(line);
      if (m) out.push({ major: Number(m[1]), name: m[2]! });
    }
  }
  return out;
}

/** The NVIDIA majors a node's `/proc/devices` names; dynamic ones are undefined when their module is not loaded. */
export interface NvidiaMajors {
  /** `nvidia` (195 by NVIDIA's reservation, read anyway). */
  nvidia?: number;
  nvidiactl?: number;
  /** `nvidia-uvm`: dynamic (238 on the fixture host; 234..511 seen in the wild). */
  uvm?: number;
  /** `nvidia-caps`: dynamic (241 on the fixture host), MIG capability nodes. */
  caps?: number;
  /** Every major with at least one `nvidia*` name, with its names (nvidia-nvswitch, nvidia-caps-imex-channels...). */
  all: Map<number, string[]>;
}

/** Picks the NVIDIA majors out of parsed `/proc/devices`. */
export function nvidiaMajors(devices: CharDevice[]): NvidiaMajors {
  const byName = (name: string): number | undefined => devices.find((d) => d.name === name)?.major;
  const all = new Map<number, string[]>();
  for (const d of devices) {
    if (d.name.startsWith('nvidia')) all.set(d.major, [...(all.get(d.major) ?? []), d.name]);
  }
  const out: NvidiaMajors = { all };
  const set = (key: 'nvidia' | 'nvidiactl' | 'uvm' | 'caps', name: string): void => {
    const major = byName(name);
    if (major !== undefined) out[key] = major;
  };
  set('nvidia', 'nvidia');
  set('nvidiactl', 'nvidiactl');
  set('uvm', 'nvidia-uvm');
  set('caps', 'nvidia-caps');
  return out;
}

/** The names `/proc/devices` gives a character major (`243` → `['hidraw']`), [] when none. */
export function namesOfMajor(devices: CharDevice[], major: number): string[] {
  return devices.filter((d) => d.major === major).map((d) => d.name);
}
