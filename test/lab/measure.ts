import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionPool, type HostVars } from '../../interpreter/connection/pool.js';
import { LabLease } from './fixture.js';
import { labNode, pct } from '../../lab/lab.js';

/**
 * `node dist/test/lab/measure.js [N]`: median round trip of a no-op `true` over phoenix's ssh connection to lab node
 * pve1 and over its pct connection to a container, on one warm connection. Prints numbers; asserts nothing.
 */
async function main(rounds: number): Promise<void> {
  const lease = new LabLease();
  const info = await lease.acquire();
  const node = labNode('pve1');
  await pct('pve1', 'create', '799', 'local:vztmpl/x.tar.zst', '--hostname', 'measure');
  await pct('pve1', 'start', '799');
  const home = mkdtempSync(join(tmpdir(), 'phoenix-measure-'));
  mkdirSync(join(home, '.ssh'));
  writeFileSync(join(home, '.ssh', 'config'), '');
  const vars: Record<string, HostVars> = {
    pve1: { ansible_host: '127.0.0.1', ansible_port: node.port, ansible_user: info.user,
      ansible_ssh_private_key_file: info.privateKey, phoenix_known_hosts_file: info.knownHosts },
    ct799: { ansible_connection: 'pct', proxmox_node: 'pve1', proxmox_vmid: '799' },
  };
  const pool = new ConnectionPool({ hostVars: (h) => vars[h] ?? {}, home, env: {} });
  try {
    for (const host of ['pve1', 'ct799']) {
      const connection = await pool.get(host);
      await connection.run('true');
      const times: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const started = process.hrtime.bigint();
        await connection.run('true');
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
      times.sort((a, b) => a - b);
      const at = (q: number): string => times[Math.floor(q * (times.length - 1))]!.toFixed(1);
      process.stdout.write(`${host === 'pve1' ? 'ssh' : 'pct'} no-op: median ${at(0.5)} ms, p90 ${at(0.9)} ms (${rounds} runs)\n`);
    }
  } finally {
    await pool.closeAll();
    await pct('pve1', 'stop', '799');
    await pct('pve1', 'destroy', '799');
    rmSync(home, { recursive: true, force: true });
    await lease.release();
  }
}

main(Number(process.argv[2] ?? 100)).then(() => process.exit(0), (error: unknown) => {
  process.stderr.write(`measure: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
