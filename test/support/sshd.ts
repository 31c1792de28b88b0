import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway OpenSSH server on 127.0.0.1 for tests; never the machine's own sshd. */
export interface TestSshd {
  port: number;
  /** Directory holding its config, keys, log and authorized_keys. */
  dir: string;
  hostKeyPath: string;
  userKey: { privatePath: string; publicPath: string };
  /** `[127.0.0.1]:<port> ssh-ed25519 AAAA…`, for a test's known_hosts. */
  knownHostsLine: string;
  /** sshd's VERBOSE log (one "Accepted publickey" line per connection). */
  logFile: string;
  /** The plain-shell test user with passwordless sudo. */
  user: string;
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** New host key, sshd restarted; resolves to the new known_hosts line. */
  regenerateHostKey(): Promise<string>;
  /** Stops sshd and removes its directory (keys, config, log). */
  cleanup(): Promise<void>;
}

export const TEST_USER = 'phoenix-test';

/** Ensures a local account with a plain /bin/sh login and a sudoers rule (`nopasswd`, or `password` to ask for it). */
export function ensureTestUser(name: string, sudo: 'nopasswd' | 'password' = 'nopasswd', password?: string): void {
  if (!existsSync('/usr/bin/sudo')) {
    execFileSync('apt-get', ['install', '-y', '-q', 'sudo'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  try {
    execFileSync('id', ['-u', name], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', name]);
  }
  // '*' (not '!') so sshd without PAM does not treat the account as locked; a real password when sudo asks for one.
  if (password) execFileSync('chpasswd', { input: `${name}:${password}\n` });
  else execFileSync('usermod', ['-p', '*', name]);
  const rule = sudo === 'nopasswd' ? `${name} ALL=(ALL) NOPASSWD: ALL\n` : `${name} ALL=(ALL) ALL\n`;
  const file = `/etc/sudoers.d/${name}`;
  writeFileSync(file, rule, { mode: 0o440 });
  chmodSync(file, 0o440);
}

/** A uid-0 account under another name (like the lab's `pveroot`), home /root, plain /bin/sh, key login only. */
export function ensureRootAlias(name: string): void {
  try {
    execFileSync('id', ['-u', name], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--non-unique', '--uid', '0', '--gid', '0', '--no-create-home', '--home-dir', '/root',
      '--shell', '/bin/sh', name], { stdio: 'ignore' });
  }
  execFileSync('usermod', ['-p', '*', name]);
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function keygen(path: string, comment: string): void {
  rmSync(path, { force: true });
  rmSync(`${path}.pub`, { force: true });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
}

function sshdConfig(dir: string, port: number): string {
  return [
    `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${join(dir, 'ssh_host_ed25519_key')}`,
    `PidFile ${join(dir, 'sshd.pid')}`, `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'StrictModes no', 'UsePAM no', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password', 'LogLevel VERBOSE', 'Subsystem sftp /usr/lib/openssh/sftp-server',
    'AllowTcpForwarding yes', 'MaxStartups 100:30:200', 'PrintMotd no', '',
  ].join('\n');
}

/** Starts sshd on a free port with fresh host and user keys; both `root` and the test user accept the user key. */
export async function startSshd(): Promise<TestSshd> {
  ensureTestUser(TEST_USER);
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-sshd-'));
  chmodSync(dir, 0o755); // authorized_keys is read with the logging-in user's rights
  const port = await freePort();
  const hostKeyPath = join(dir, 'ssh_host_ed25519_key');
  const userKey = { privatePath: join(dir, 'id_ed25519'), publicPath: join(dir, 'id_ed25519.pub') };
  keygen(hostKeyPath, 'phoenix-test-host');
  keygen(userKey.privatePath, 'phoenix-test-user');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(userKey.publicPath), { mode: 0o644 });
  const config = join(dir, 'sshd_config');
  writeFileSync(config, sshdConfig(dir, port));
  const logFile = join(dir, 'sshd.log');
  let child: ChildProcess | undefined;

  const line = (): string => {
    const [type, key] = readFileSync(`${hostKeyPath}.pub`, 'utf8').trim().split(/\s+/);
    return `[127.0.0.1]:${port} ${type} ${key}`;
  };
  const start = async (): Promise<void> => {
    child = spawn('/usr/sbin/sshd', ['-D', '-f', config, '-E', logFile], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null) throw new Error(`sshd exited (${child.exitCode}); see ${logFile}`);
      if (await canConnect(port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`sshd did not listen on 127.0.0.1:${port}; see ${logFile}`);
  };
  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGTERM');
    });
  };
  await start();
  const sshd: TestSshd = {
    port, dir, hostKeyPath, userKey, logFile, user: TEST_USER, knownHostsLine: line(),
    stop,
    restart: async () => {
      await stop();
      await start();
    },
    regenerateHostKey: async () => {
      keygen(hostKeyPath, 'phoenix-test-host-2');
      sshd.knownHostsLine = line();
      await sshd.restart();
      return sshd.knownHostsLine;
    },
    cleanup: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return sshd;
}

/** How many lines of the sshd log match (e.g. /Accepted publickey/ = connections, /Starting session/ = channels). */
export function countLog(logFile: string, pattern: RegExp): number {
  const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
  return text.split('\n').filter((l) => pattern.test(l)).length;
}
