import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderInventory } from '../lab/inventory.js';
import type { LabInfo } from '../lab/lab.js';
import { labSiteVars, writeLabConfig } from '../lab/site-config.js';
import { REPO_ROOT } from './paths.js';

/** The cluster example (two nodes, a template chain per node), scaled by the fleet part. Never edited. */
export const CLUSTER_EXAMPLE = join(REPO_ROOT, 'examples', 'cluster');

/** The example's pve1 set: base template, GPU template, Docker template, Docker-GPU template, one clone. */
const TEMPLATES = ['900', '901', '902', '903'] as const;
const CLONE_OF = '950';

/** VMIDs are cluster-wide: node k (1-based) gets 900 + 1000 (k-1) .. for its templates, +50.. for its clones. */
export function vmidBase(node: number): number {
  return 900 + 1000 * (node - 1);
}

type Lxc = Record<string, unknown> & { network_config: Record<string, string> };

/**
 * The example configuration scaled to `nodes` x `perNode` containers: on every node the example's four templates
 * (900 base -> 901 GPU, 902 Docker; 901 -> 903 Docker-GPU) and `perNode - 4` clones of the Docker-GPU template
 * shaped like the example's clone 950 (cuda-worker), GPUs alternating 0 and 1. Each clone is on its parent's node.
 * perNode = 5 is exactly the example's pve1.
 */
export function fleetLxcConfig(nodes: number, perNode: number): Record<string, unknown> {
  if (perNode < 5) throw new Error(`fleet: ${perNode} containers per node; at least 5 (4 templates + 1 clone)`);
  const example = JSON.parse(readFileSync(join(CLUSTER_EXAMPLE, 'phoenix_lxc_configs.json'), 'utf8'));
  const source = example.lxc_configs as Record<string, Lxc>;
  const configs: Record<string, Lxc> = {};
  for (let k = 1; k <= nodes; k++) {
    const base = vmidBase(k);
    const id = (exampleId: string): string => String(base + Number(exampleId) - 900);
    const ip = (n: number): string => `10.${k}.${n >> 8}.${n & 255}/16`;
    for (const t of TEMPLATES) {
      const entry: Lxc = structuredClone(source[t]);
      entry.name = `${String(entry.name)}-pve${k}`;
      entry.node = `pve${k}`;
      entry.network_config = { ...entry.network_config, ip: ip(Number(t) - 890), gw: `10.${k}.0.1` };
      if (entry.clone_from_ctid !== undefined) entry.clone_from_ctid = id(String(entry.clone_from_ctid));
      configs[id(t)] = entry;
    }
    for (let c = 0; c < perNode - TEMPLATES.length; c++) {
      const entry: Lxc = structuredClone(source[CLONE_OF]);
      entry.name = `cuda-worker-pve${k}-${c + 1}`;
      entry.node = `pve${k}`;
      entry.gpu_assignment = String(c % 2);
      entry.clone_from_ctid = id('903');
      entry.network_config = { ...entry.network_config, ip: ip(100 + c), gw: `10.${k}.0.1` };
      configs[String(base + 50 + c)] = entry;
    }
  }
  return { ...example, lxc_configs: configs };
}

/** One fleet size, written for the lab: config files (URLs pointed at the lab's artifacts) and an inventory. */
export interface FleetFiles {
  nodes: number;
  perNode: number;
  inventory: string;
  configDir: string;
  /** Every inventory host: nodes `pveK`, containers as the inventory names them (`ct<vmid>`). */
  containers: string[];
}

/**
 * Writes `<dir>/fleet-<nodes>x<perNode>/`: the scaled example (source/), the lab's copy of it (config/) and
 * inventory.yml listing only the first `nodes` lab nodes.
 */
export function writeFleet(info: LabInfo, dir: string, nodes: number, perNode: number): FleetFiles {
  if (!info.artifacts) throw new Error('fleet: the lab has no artifact server (run `npm run build` first)');
  const labNodes = info.nodes.filter((n) => !n.owner);
  if (labNodes.length < nodes) throw new Error(`fleet: ${nodes} nodes asked, the lab has ${labNodes.length} (lab up --nodes ${nodes})`);
  const root = join(dir, `fleet-${nodes}x${perNode}`);
  const source = join(root, 'source');
  mkdirSync(source, { recursive: true });
  const lxc = fleetLxcConfig(nodes, perNode);
  writeFileSync(join(source, 'phoenix_lxc_configs.json'), `${JSON.stringify(lxc, null, 2)}\n`);
  writeFileSync(join(source, 'phoenix_hypervisor_config.json'),
    readFileSync(join(CLUSTER_EXAMPLE, 'phoenix_hypervisor_config.json')));
  const configDir = join(root, 'config');
  const config = writeLabConfig(info.artifacts, source, configDir);
  const inventory = join(root, 'inventory.yml');
  writeFileSync(inventory, renderInventory({ ...info, nodes: labNodes.slice(0, nodes), siteVars: labSiteVars(info.artifacts, config) }));
  const containers = Object.keys(lxc.lxc_configs as object).map((v) => `ct${v}`);
  return { nodes, perNode, inventory, configDir, containers };
}
