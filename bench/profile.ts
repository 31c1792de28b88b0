import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Where a sampled function lives: an npm package, a folder of our own code, or node itself. */
function owner(url: string, name: string): string {
  if (!url) return name === '(garbage collector)' ? 'gc' : `node ${name || 'native'}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `npm ${pkg[1]}`;
  const own = /\/dist\/(.+)\/[^/]+$/.exec(url);
  if (own) return `ours ${own[1]}`;
  return url.startsWith('node:') ? 'node internals (module loader, fs)' : url;
}

/** Self time (ms) per owner, largest first, from the one .cpuprofile in `dir` (written by `node --cpu-prof`). */
export function costByOwner(dir: string): { totalMs: number; entries: Array<[string, number]> } {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const node = nodes.get(id)!;
    const key = owner(node.callFrame.url, node.callFrame.functionName);
    totals.set(key, (totals.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return { totalMs: (profile.endTime - profile.startTime) / 1000, entries: [...totals].sort((a, b) => b[1] - a[1]) };
}

/** Inclusive time (ms) of the functions whose name matches, e.g. ajv's `compile` or our `loadPlaybook`. */
export function inclusiveOf(dir: string, names: RegExp): Array<[string, number]> {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!;
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const { functionName, url } = nodes.get(cur)!.callFrame;
      const key = `${functionName} (${url.replace(/^.*\/(node_modules|dist)\//, '')})`;
      if (!names.test(functionName) || seen.has(key)) continue;
      seen.add(key);
      totals.set(key, (totals.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
    }
  });
  return [...totals].sort((a, b) => b[1] - a[1]);
}
