import { main } from '../../interpreter/cli.js';

/** One host's entry of a task in `phoenix run --json`. */
export interface HostEntry { status: string; msg?: string; reason?: string }

/** What `phoenix run --json` prints. */
export interface RunDoc {
  plays: Array<{ play: { name: string }; tasks: Array<{ task: { name: string; module: string }; hosts: Record<string, HostEntry> }> }>;
  stats: Record<string, { ok: number; changed: number; failed: number; unreachable: number }>;
}

/** A `phoenix run playbooks/site.yml -i <inventory> --json` in this process: exit code, document (if any), stderr. */
export async function runSite(inventory: string, ...args: string[]): Promise<{ code: number; doc?: RunDoc; stderr: string }> {
  let out = '';
  let err = '';
  const code = await main(['run', 'playbooks/site.yml', '-i', inventory, '--json', ...args], {
    stdout: { write: (s: string) => { out += s; } },
    stderr: { write: (s: string) => { err += s; } },
  });
  return { code, doc: out ? (JSON.parse(out) as RunDoc) : undefined, stderr: err };
}

/** (task, host) pairs with a given status, as `task @ host`, in the order the run reported them. */
export function withStatus(doc: RunDoc, status: string): string[] {
  return doc.plays.flatMap((p) => p.tasks.flatMap((t) => Object.entries(t.hosts)
    .filter(([, h]) => h.status === status).map(([host]) => `${t.task.name} @ ${host}`)));
}

/** Failed and unreachable (task, host) pairs with their messages, for assertion messages. */
export function failures(doc: RunDoc): string[] {
  return doc.plays.flatMap((p) => p.tasks.flatMap((t) => Object.entries(t.hosts)
    .filter(([, h]) => h.status === 'failed' || h.status === 'unreachable').map(([host, h]) => `${t.task.name} @ ${host}: ${h.msg}`)));
}
