/** PVE's device limit (`$MAX_DEVICES = 256` in pve-container `Config.pm`). */
const MAX_DEVICES = 256;

/** One `devN:` entry of `pct config`. */
export interface DevEntry {
  key: string;
  index: number;
  path: string;
  /** The whole value as PVE prints it: `/dev/nvidia0,mode=0666`. */
  value: string;
}

/** Host device nodes a GPU container needs with the `devN` style (PVE stats them on every start). */
export function devPassthroughPaths(gpus: number[], includeCaps: boolean): string[] {
  if (gpus.length === 0) return [];
  return [
    ...gpus.map((n) => `/dev/nvidia${n}`),
    '/dev/nvidiactl',
    '/dev/nvidia-uvm',
    '/dev/nvidia-uvm-tools',
    ...(includeCaps ? ['/dev/nvidia-caps/nvidia-cap1', '/dev/nvidia-caps/nvidia-cap2'] : []),
  ];
}

/** Who owns the GPU nodes (nvidiaN, nvidiactl, nvidia-uvm, nvidia-uvm-tools) inside the container, and their mode. */
export interface DevOwnership {
  mode: string;
  /** Container-side ids: PVE maps them through the container's idmap (absent: 0, the container's root). */
  uid?: number;
  gid?: number;
}

const CAPS_DIR = '/dev/nvidia-caps/';

/**
 * The devN values for `paths`. GPU nodes get `gpu`'s mode and ids. A MIG capability node keeps its host mode
 * (`capsModes`, 0400 for nvidia-cap1 and 0444 for nvidia-cap2 on a real host) with uid 0: PVE maps that to the
 * container's root, the owner the driver intends, whereas a bind mount of the host's node shows host root as
 * nobody in an unprivileged container and 0400 is then unreadable even for the container's root.
 */
export function devPassthroughValues(paths: string[], gpu: DevOwnership, capsModes: ReadonlyMap<string, string>): Array<{ path: string; value: string }> {
  return paths.map((path) => {
    const caps = path.startsWith(CAPS_DIR);
    const mode = caps ? capsModes.get(path) : gpu.mode;
    if (mode === undefined) throw new Error(`no host mode known for ${path}`);
    return { path, value: devValue(path, caps ? { mode } : { gid: gpu.gid, mode, uid: gpu.uid }) };
  });
}

/** `path,key=value,...` with the options in name order, as PVE prints a property string; undefined ones left out. */
export function devValue(path: string, options: Record<string, string | number | undefined>): string {
  const parts = Object.keys(options).sort().flatMap((k) => (options[k] === undefined ? [] : [`${k}=${options[k]}`]));
  return [path, ...parts].join(',');
}

/** PVE's defaults for a devN entry (`create_passthrough_device_node`): a value without them means these. */
const DEV_DEFAULTS: Record<string, string> = { mode: '0660', uid: '0', gid: '0', 'deny-write': '0' };

/** Whether two devN values mean the same node (same path, options equal after PVE's defaults, in any order). */
export function sameDevValue(a: string, b: string): boolean {
  const parse = (value: string): Record<string, string> => {
    const [first = '', ...rest] = value.split(',');
    const options: Record<string, string> = { ...DEV_DEFAULTS, path: first.replace(/^path=/, '') };
    for (const part of rest) {
      const [k = '', v = ''] = part.split('=');
      options[k === 'path' ? 'path' : k] = v;
    }
    return options;
  };
  const [x, y] = [parse(a), parse(b)];
  return Object.keys({ ...x, ...y }).every((k) => x[k] === y[k]);
}

/** Parses the `devN:` lines of `pct config <vmid>` (`dev0: /dev/nvidia0,mode=0666` or `dev0: path=/dev/...`). */
export function parseDevEntries(config: string): DevEntry[] {
  const out: DevEntry[] = [];
  for (const line of config.split('\n')) {
    const m = /^dev(\d+):\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    const path = m[2]!.split(',')[0]!.replace(/^path=/, '');
    out.push({ key: `dev${m[1]}`, index: Number(m[1]), path, value: m[2]! });
  }
  return out;
}

/** What `pct set` must do: set these keys, delete those. */
export interface DevPlan {
  set: Array<{ key: string; value: string; why: string }>;
  delete: Array<{ key: string; why: string }>;
}

/**
 * Plans devN entries so that the `/dev/nvidia*` entries are exactly `wanted` (path → value). An entry of a wanted
 * path with another value is set again under its own key; entries of unwanted NVIDIA paths (GPUs no longer
 * assigned, duplicates) are deleted; missing paths take the lowest keys no other entry holds. Non-NVIDIA entries
 * are never touched.
 */
export function planDevEntries(existing: DevEntry[], wanted: Array<{ path: string; value: string }>): DevPlan {
  const plan: DevPlan = { set: [], delete: [] };
  const kept = new Set<string>();
  const taken = new Set(existing.filter((e) => !e.path.startsWith('/dev/nvidia')).map((e) => e.index));
  for (const entry of existing.filter((e) => e.path.startsWith('/dev/nvidia'))) {
    const want = wanted.find((w) => w.path === entry.path);
    if (!want || kept.has(entry.path)) {
      plan.delete.push({ key: entry.key, why: want ? `duplicate of ${entry.path}` : `${entry.path} is not assigned` });
      continue;
    }
    kept.add(entry.path);
    taken.add(entry.index);
    if (!sameDevValue(entry.value, want.value)) plan.set.push({ key: entry.key, value: want.value, why: `was ${entry.value}` });
  }
  const deleted = new Set(plan.delete.map((d) => d.key));
  let next = 0;
  for (const want of wanted.filter((w) => !kept.has(w.path))) {
    while (taken.has(next) || deleted.has(`dev${next}`)) next++;
    if (next >= MAX_DEVICES) throw new Error(`no free devN key (PVE allows dev0..dev${MAX_DEVICES - 1})`);
    taken.add(next);
    plan.set.push({ key: `dev${next}`, value: want.value, why: 'missing' });
  }
  return plan;
}

/**
 * `pct config` text after the plan, for the diff: entries replaced in place, new ones added, deleted ones gone,
 * key lines kept in pct's sorted order (raw `lxc.*` lines stay last).
 */
export function applyDevPlan(config: string, plan: DevPlan): string {
  const lines = config.split('\n').filter((l) => l !== '');
  const keyOf = (l: string): string => l.split(':')[0]!;
  const drop = new Set([...plan.delete.map((d) => d.key), ...plan.set.map((s) => s.key)]);
  const plain = lines.filter((l) => !l.startsWith('lxc.') && !drop.has(keyOf(l)));
  plain.push(...plan.set.map((s) => `${s.key}: ${s.value}`));
  plain.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  return [...plain, ...lines.filter((l) => l.startsWith('lxc.'))].join('\n') + '\n';
}
