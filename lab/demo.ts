import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderInventory } from './inventory.js';
import { startLab, type LabInfo } from './lab.js';
import { LAB_DIR, REPO_ROOT } from './paths.js';
import { labSiteVars, writeLabConfig } from './site-config.js';

/**
 * `npm run demo`: brings the lab up (a stand-in Proxmox node over real SSH, real LXC containers), runs
 * playbooks/site.yml against it with the example configuration, then runs it again to show that nothing changes.
 * `npm run demo -- --cluster`: the same on two nodes with examples/cluster/ (a template chain per node).
 */
async function main(): Promise<number> {
  const cluster = process.argv.includes('--cluster');
  const log = (line: string): void => void process.stderr.write(`lab: ${line}\n`);
  const info = await startLab({ log, ...(cluster ? { nodes: 2 } : {}) });
  const inventory = cluster ? clusterInventory(info) : info.inventory;
  const phoenix = join(REPO_ROOT, 'bin', 'phoenix.js');
  const run = (title: string, extra: string[] = []): { code: number; recap: string } => {
    process.stdout.write(`\n=== ${title}: phoenix run playbooks/site.yml -i ${inventory} ${extra.join(' ')}\n`);
    const started = Date.now();
    const result = spawnSync(process.execPath, [phoenix, 'run', 'playbooks/site.yml', '-i', inventory, ...extra], {
      cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
    });
    process.stdout.write(result.stdout);
    process.stdout.write(`=== ${title}: exit ${result.status} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    return { code: result.status ?? 1, recap: result.stdout.slice(result.stdout.lastIndexOf('PLAY RECAP')) };
  };
  const first = run('first run');
  if (first.code !== 0) return first.code;
  const second = run('second run (nothing to do)');
  if (second.code !== 0) return second.code;
  const changed = [...second.recap.matchAll(/^(\S+)\s+: .*changed=(\d+)/gm)].filter((m) => m[2] !== '0');
  if (changed.length > 0) {
    process.stdout.write(`\ndemo: the second run changed something on ${changed.map((m) => m[1]).join(', ')}\n`);
    return 1;
  }
  process.stdout.write('\ndemo: second run changed=0 on every host. `npm run lab:down` removes the lab.\n');
  return 0;
}

/** The lab's two nodes with the cluster example (examples/cluster/), its URLs pointed at the lab's artifacts. */
function clusterInventory(info: LabInfo): string {
  if (!info.artifacts) throw new Error('the lab has no artifact server (run `npm run build` first)');
  const config = writeLabConfig(info.artifacts, join(REPO_ROOT, 'examples', 'cluster'), join(LAB_DIR, 'config-cluster'));
  const file = join(LAB_DIR, 'inventory-cluster.yml');
  writeFileSync(file, renderInventory({ ...info, siteVars: labSiteVars(info.artifacts, config) }));
  return file;
}

main().then((code) => process.exit(code), (error: unknown) => {
  process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
