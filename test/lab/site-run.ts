import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../interpreter/cli.js';
import { labSiteVars, writeLabConfig } from '../../lab/site-config.js';
import { labInventoryText, type LabLease } from './fixture.js';

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

/** The hypervisor and lxc files as JSON, for a suite to edit before they are written. */
export interface SiteConfigFiles {
  hv: Record<string, unknown>;
  lxc: { lxc_configs: Record<string, Record<string, unknown>>; [key: string]: unknown };
}

/**
 * The lab's copy of the example configuration in a new temp folder (`prefix`), edited by `edit`, with an inventory
 * of `nodes` (reached as `lease`'s lab gives them) pointing at it. Returns the folder and the inventory file.
 */
export function writeClusterSite(lease: LabLease, nodes: string[], prefix: string, edit: (files: SiteConfigFiles) => void): { dir: string; inventory: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const written = writeLabConfig(lease.info.artifacts!);
  const files: SiteConfigFiles = {
    hv: JSON.parse(readFileSync(written, 'utf8')),
    lxc: JSON.parse(readFileSync(join(written, '..', 'phoenix_lxc_configs.json'), 'utf8')),
  };
  edit(files);
  const hvFile = join(dir, 'phoenix_hypervisor_config.json');
  writeFileSync(hvFile, JSON.stringify(files.hv, null, 2));
  writeFileSync(join(dir, 'phoenix_lxc_configs.json'), JSON.stringify(files.lxc, null, 2));
  const inventory = join(dir, 'inventory.yml');
  writeFileSync(inventory, labInventoryText(lease, nodes, labSiteVars(lease.info.artifacts!, hvFile)));
  return { dir, inventory };
}
