import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, openSync, readSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSshd, type TestSshd } from '../test/support/sshd.js';

/** Real OpenSSH servers on loopback plus the files both tools need to reach them as N inventory aliases. */
export interface Targets {
  dir: string;
  servers: TestSshd[];
  knownHosts: string;
  /** Writes an inventory of `hosts` aliases of 127.0.0.1 (spread over the servers) and returns its path. */
  inventory(hosts: number): string;
  /** ansible.cfg: pipelining, ControlPersist, host key checking against {@link knownHosts}. */
  ansibleConfig: string;
  /** Byte offsets of every sshd and SFTP log, to count what one run did with {@link countSince}. */
  mark(): number[];
  /** Lines matching `pattern` written to the sshd and SFTP logs since `mark`. */
  countSince(mark: number[], pattern: RegExp): number;
  stop(): Promise<void>;
}

/** Where the SFTP server of `sshd` logs each file it opens (one line `open "PATH" flags ...` per open). */
export function sftpLog(sshd: TestSshd): string {
  return join(sshd.dir, 'sftp.log');
}

/**
 * sshd reads the first value of a keyword: raise the limits in place for 100 simultaneous logins. The SFTP server
 * logs to stderr (`-e`, VERBOSE: every open, stat, lstat, readlink) through a wrapper into a file, so file
 * operations over SFTP are counted like commands.
 */
function raiseLimits(sshd: TestSshd): void {
  const wrapper = join(sshd.dir, 'sftp-server.sh');
  writeFileSync(sftpLog(sshd), '', { mode: 0o666 });
  chmodSync(sftpLog(sshd), 0o666);
  writeFileSync(wrapper, `#!/bin/sh\nexec /usr/lib/openssh/sftp-server -e -l VERBOSE 2>>${sftpLog(sshd)}\n`, { mode: 0o755 });
  const file = join(sshd.dir, 'sshd_config');
  const config = readFileSync(file, 'utf8').replace(/^MaxStartups .*$/m, 'MaxStartups 400:30:800')
    .replace(/^Subsystem sftp .*$/m, `Subsystem sftp ${wrapper}`);
  writeFileSync(file, `${config}MaxSessions 64\n`);
}

/** Starts `count` sshd (each with its own host and user key; login as the plain-/bin/sh test user). */
export async function startTargets(count: number): Promise<Targets> {
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-bench-targets-'));
  const servers: TestSshd[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const sshd = await startSshd();
      servers.push(sshd);
      raiseLimits(sshd);
      await sshd.restart();
    }
  } catch (error) {
    await Promise.all(servers.map((s) => s.cleanup()));
    throw error;
  }
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, servers.map((s) => `${s.knownHostsLine}\n`).join(''));
  const ansibleConfig = join(dir, 'ansible.cfg');
  writeFileSync(ansibleConfig, [
    '[defaults]', 'host_key_checking = True', 'gathering = explicit', 'retry_files_enabled = False',
    'interpreter_python = /usr/bin/python3', '',
    '[ssh_connection]', 'pipelining = True',
    `ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${knownHosts}`,
    `control_path_dir = ${join(dir, 'cp')}`, '',
  ].join('\n'));
  return {
    dir, servers, knownHosts, ansibleConfig,
    inventory(hosts) {
      const lines = ['all:', '  children:', '    bench:', '      hosts:'];
      for (let i = 0; i < hosts; i++) {
        const s = servers[i % servers.length];
        lines.push(`        h${String(i + 1).padStart(3, '0')}:`, `          ansible_port: ${s.port}`,
          `          ansible_ssh_private_key_file: ${s.userKey.privatePath}`);
      }
      lines.push('      vars:', '        ansible_host: 127.0.0.1', `        ansible_user: ${servers[0].user}`,
        `        phoenix_known_hosts_file: ${knownHosts}`, '');
      const file = join(dir, `inventory-${hosts}.yml`);
      writeFileSync(file, lines.join('\n'));
      return file;
    },
    mark: () => servers.flatMap((s) => [statSync(s.logFile).size, statSync(sftpLog(s)).size]),
    countSince(mark, pattern) {
      return servers.reduce((sum, s, i) => sum + countLines(s.logFile, mark[2 * i], pattern) +
        countLines(sftpLog(s), mark[2 * i + 1], pattern), 0);
    },
    async stop() {
      await Promise.all(servers.map((s) => s.cleanup()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function countLines(file: string, from: number, pattern: RegExp): number {
  const size = statSync(file).size;
  if (size <= from) return 0;
  const buffer = Buffer.alloc(size - from);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buffer, 0, buffer.length, from);
  } finally {
    closeSync(fd);
  }
  return buffer.toString('utf8').split('\n').filter((l) => pattern.test(l)).length;
}
