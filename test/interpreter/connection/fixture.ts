import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionPool, type HostVars } from '../../../interpreter/connection/pool.js';
import type { TestSshd } from '../../support/sshd.js';

const scratch = mkdtempSync(join(tmpdir(), 'phoenix-conn-test-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

/** A temporary HOME with `.ssh/known_hosts` (optional lines) and an empty `.ssh/config`. */
export function tempHome(knownHosts: string[] = [], sshConfig = ''): string {
  const home = mkdtempSync(join(scratch, 'home-'));
  mkdirSync(join(home, '.ssh'), { mode: 0o700 });
  writeFileSync(join(home, '.ssh', 'known_hosts'), knownHosts.map((l) => `${l}\n`).join(''));
  writeFileSync(join(home, '.ssh', 'config'), sshConfig);
  return home;
}

/** Inventory vars reaching the test sshd as `user` with the generated key. */
export function sshVars(sshd: TestSshd, user: string, extra: HostVars = {}): HostVars {
  return {
    ansible_connection: 'ssh', ansible_host: '127.0.0.1', ansible_port: sshd.port, ansible_user: user,
    ansible_ssh_private_key_file: sshd.userKey.privatePath, ...extra,
  };
}

/** A pool over a fixed var table, with a private HOME and no ssh-agent. */
export function poolFor(vars: Record<string, HostVars>, home: string, timeouts = { connectMs: 5000 }): ConnectionPool {
  return new ConnectionPool({ hostVars: (h) => vars[h] ?? {}, home, env: {}, timeouts });
}
