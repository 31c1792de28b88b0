import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startLab } from './lab.js';
import { REPO_ROOT } from './paths.js';

/**
 * `npm run demo`: brings the lab up (a stand-in Proxmox node over real SSH, real LXC containers), runs
 * playbooks/site.yml against it with the example configuration, then runs it again to show that nothing changes.
 */
async function main(): Promise<number> {
  const log = (line: string): void => void process.stderr.write(`lab: ${line}\n`);
  const info = await startLab({ log });
  const phoenix = join(REPO_ROOT, 'bin', 'phoenix.js');
  const run = (title: string, extra: string[] = []): { code: number; recap: string } => {
    process.stdout.write(`\n=== ${title}: phoenix run playbooks/site.yml -i ${info.inventory} ${extra.join(' ')}\n`);
    const started = Date.now();
    const result = spawnSync(process.execPath, [phoenix, 'run', 'playbooks/site.yml', '-i', info.inventory, ...extra], {
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

main().then((code) => process.exit(code), (error: unknown) => {
  process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
