import type { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { shellCommand } from './quote.js';
import { RemoteShell, SHELL_STDIN_LIMIT, type ShellChannel } from './remote-shell.js';
import {
  CommandTimeoutError, UnreachableError, type CommandResult, type Connection, type FileStat, type IdNames, type PutOptions, type RunOptions,
} from './types.js';
import {
  addKnownHost, checkHostKey, HostKeyError, hostKeyError, knownHostName, loadKnownHosts, preferredHostKeyAlgorithms,
  type HostKeyPolicy,
} from './known-hosts.js';

/** Where one SSH server is and how to log in; a ProxyJump hop is one of these too. */
export interface SshEndpoint {
  /** Inventory name (or the hop as written), for messages. */
  host: string;
  address: string;
  port: number;
  user: string;
  /** Private key files, tried in order. */
  identityFiles: string[];
  /** Key files the user named explicitly: a missing one is an error, not skipped. */
  requiredKeys?: string[];
  /** ssh-agent socket (`SSH_AUTH_SOCK`). */
  agent?: string;
  password?: string;
  knownHostsFile: string;
  policy: HostKeyPolicy;
}

/** Everything an {@link SshConnection} needs; build it with `sshSettingsFor` (ssh-settings in pool.ts). */
export interface SshSettings extends SshEndpoint {
  /** ProxyJump hops, outermost first. */
  jumps: SshEndpoint[];
  become: {
    user: string;
    password?: string;
    /** `ansible_become: true`: run/put/get use sudo unless told `become: false`. */
    byDefault: boolean;
  };
  /**
   * Run commands in long-lived remote shells (one round trip each) instead of a channel per command; default on,
   * `phoenix_ssh_persistent_shell: false` turns it off.
   */
  persistentShell?: boolean;
}

/** Time limits; all in milliseconds. */
export interface SshTimeouts {
  connectMs: number;
  /** Default per-command limit when a run gives none; undefined = no limit. */
  commandMs?: number;
  keepaliveMs: number;
  keepaliveCountMax: number;
  /** How long {@link SshConnection.reconnect} waits for a host to come back. */
  reconnectMs: number;
}

export const DEFAULT_SSH_TIMEOUTS: SshTimeouts = {
  connectMs: 10_000, keepaliveMs: 15_000, keepaliveCountMax: 3, reconnectMs: 300_000,
};

/** File options with the become switch the shared contract does not have yet. */
export interface SshFileOptions extends PutOptions {
  become?: boolean;
}

/** OpenSSH's default MaxSessions is 10 per connection: 8 command channels + 1 SFTP stays under it. */
const DEFAULT_MAX_CHANNELS = 8;

// Minimal shapes of the ssh2 objects used here (@types/ssh2 is not installed).
type Channel = ShellChannel;
interface Sftp {
  writeFile(path: string, data: Buffer | string, options: { mode: number }, cb: (err?: Error) => void): void;
  open(path: string, flags: string, cb: (err: Error | undefined, handle: Buffer) => void): void;
  fstat(handle: Buffer, cb: (err: Error | undefined, attrs: SftpAttrs) => void): void;
  read(handle: Buffer, buffer: Buffer, offset: number, length: number, position: number,
    cb: (err: Error | undefined, bytesRead: number) => void): void;
  close(handle: Buffer, cb: (err?: Error) => void): void;
  chmod(path: string, mode: number, cb: (err?: Error) => void): void;
  stat(path: string, cb: (err: Error | undefined, attrs: SftpAttrs) => void): void;
  readlink(path: string, cb: (err: Error | undefined, target: string) => void): void;
  realpath(path: string, cb: (err: Error | undefined, resolved: string) => void): void;
  lstat(path: string, cb: (err: Error | undefined, attrs: SftpAttrs) => void): void;
  ext_openssh_rename(from: string, to: string, cb: (err?: Error) => void): void;
  unlink(path: string, cb: (err?: Error) => void): void;
  end(): void;
}
interface Client extends EventEmitter {
  exec(command: string, cb: (err: Error | undefined, channel: Channel) => void): void;
  sftp(cb: (err: Error | undefined, sftp: Sftp) => void): void;
  forwardOut(srcIP: string, srcPort: number, dstIP: string, dstPort: number,
    cb: (err: Error | undefined, stream: Duplex) => void): void;
  end(): void;
  setNoDelay(noDelay: boolean): void;
}
type SftpAttrs = Omit<FileStat, 'linkTarget' | 'linkSource'>;
interface RawResult {
  rc: number;
  stdout: Buffer;
  stderr: Buffer;
}
type AuthMethod = Record<string, unknown> & { type: string; username: string };

/** Limits how many channels are open at once; the rest wait their turn. */
class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];
  constructor(size: number) {
    this.free = size;
  }
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    return () => {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}

/** The server refused to open one more channel (MaxSessions); the connection itself is fine. */
class ChannelRefused extends Error {}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const SIGNALS: Record<string, number> = { HUP: 1, INT: 2, QUIT: 3, ABRT: 6, KILL: 9, SEGV: 11, PIPE: 13, TERM: 15 };

/**
 * One persistent SSH connection to one host (node-ssh/ssh2): every command on its own channel, files over one
 * SFTP channel, ProxyJump through forwarded channels, host keys checked against known_hosts.
 */
export class SshConnection implements Connection {
  private client?: Client;
  private jumps: Client[] = [];
  private connecting?: Promise<Client>;
  private sftpSession?: Promise<Sftp>;
  private sudoPassword?: Promise<boolean>;
  /** The login's uid, asked once (a uid-0 account named otherwise, like the lab's `pveroot`, needs no sudo). */
  private loginUid?: Promise<number>;
  private names?: Promise<IdNames | undefined>;
  private closed = false;
  private readonly slots: Slots;
  /** Remote shells waiting for their next command (each holds one channel). */
  private idleShells: RemoteShell[] = [];
  /** Ctrl-C signals on their way to remote process groups (see interruptGroup). */
  private readonly interrupts = new Set<Promise<void>>();

  constructor(readonly host: string, readonly settings: SshSettings,
    readonly timeouts: SshTimeouts = DEFAULT_SSH_TIMEOUTS, maxChannels = DEFAULT_MAX_CHANNELS) {
    this.slots = new Slots(maxChannels);
  }

  /** Opens the connection now (otherwise the first command does); throws {@link UnreachableError}. */
  async connect(): Promise<void> {
    await this.ensureClient();
  }

  async run(command: string, options: RunOptions = {}): Promise<CommandResult> {
    if (options.signal?.aborted) return { rc: 130, stdout: '', stderr: 'phoenix: interrupted, command not started\n' };
    const { line, stdin } = await this.wrap(command, options);
    const result = await this.exec(line, stdin, options.timeoutMs, options.signal);
    return { rc: result.rc, stdout: result.stdout.toString('utf8'), stderr: result.stderr.toString('utf8') };
  }

  async put(content: string | Buffer, remotePath: string, options: SshFileOptions = {}): Promise<void> {
    if (await this.needsSudo(options.become)) return this.putWithSudo(content, remotePath, options);
    const sftp = await this.sftp();
    const temp = siblingTemp(remotePath);
    const mode = options.mode ?? 0o644;
    try {
      await sftpCall((cb) => sftp.writeFile(temp, content, { mode }, cb));
      await sftpCall((cb) => sftp.chmod(temp, mode, cb));
      if (options.owner || options.group) await this.mustRun(shellCommand('chown', ownerSpec(options), temp), 'chown');
      await sftpCall((cb) => sftp.ext_openssh_rename(temp, remotePath, cb));
    } catch (error) {
      sftp.unlink(temp, () => undefined);
      throw this.fileError('write', remotePath, error);
    }
  }

  async get(remotePath: string, options: { become?: boolean } = {}): Promise<Buffer | null> {
    if (await this.needsSudo(options.become)) {
      const script = `test -e ${shellCommand(remotePath)} || { echo 'phoenix: no such file' >&2; exit 3; }; ` +
        shellCommand('cat', '--', remotePath);
      const { line, stdin } = await this.wrap(script, { become: true });
      const result = await this.exec(line, stdin);
      if (result.rc === 3 && result.stderr.toString().includes('phoenix: no such file')) return null;
      if (result.rc !== 0) throw new Error(`${this.host}: cannot read ${remotePath}: ${result.stderr.toString().trim()}`);
      return result.stdout;
    }
    const sftp = await this.sftp();
    try {
      return await readOverSftp(sftp, remotePath);
    } catch (error) {
      if ((error as { code?: unknown }).code === 2) return null;
      throw this.fileError('read', remotePath, error);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.interrupts.size > 0) await Promise.race([Promise.all(this.interrupts), sleep(2000)]);
    this.drop();
  }

  /**
   * lstat (or stat) over SFTP: one round trip, no process on the host (a symlink: one more for its target and
   * resolved path). Not for paths that need sudo.
   */
  async statPath(path: string, options: { follow?: boolean; become?: boolean } = {}): Promise<FileStat | null | undefined> {
    if (await this.needsSudo(options.become)) return undefined;
    const sftp = await this.sftp();
    const statOf = (follow: boolean): Promise<SftpAttrs | null | undefined> => new Promise((resolve) => {
      const done = (err: Error | undefined, a: SftpAttrs): void => {
        // SSH_FX_NO_SUCH_FILE for lstat is "absent"; stat of a dangling link also says so: let a command tell.
        if (err) resolve((err as { code?: unknown }).code === 2 && !follow ? null : undefined);
        else resolve(a);
      };
      if (follow) sftp.stat(path, done);
      else sftp.lstat(path, done);
    });
    // With follow, the link itself is asked about too (side by side): the probe command reports a link's target.
    const [own, followed] = await Promise.all([statOf(false), options.follow ? statOf(true) : undefined]);
    const attrs = options.follow ? (own === null ? null : followed) : own;
    if (!attrs || !own) return attrs;
    const stat: FileStat = { mode: attrs.mode, uid: attrs.uid, gid: attrs.gid, size: attrs.size, atime: attrs.atime, mtime: attrs.mtime };
    if ((own.mode & 0o170000) !== 0o120000) return stat;
    const [linkTarget, linkSource] = await Promise.all([
      new Promise<string | undefined>((resolve) => sftp.readlink(path, (err, t) => resolve(err ? undefined : t))),
      new Promise<string | undefined>((resolve) => sftp.realpath(path, (err, r) => resolve(err ? undefined : r))),
    ]);
    return linkTarget === undefined || linkSource === undefined ? undefined : { ...stat, linkTarget, linkSource };
  }

  /** The host's /etc/passwd and /etc/group names, read over SFTP once per connection (again with `refresh`). */
  idNames(refresh = false): Promise<IdNames | undefined> {
    if (refresh) this.names = undefined;
    this.names ??= Promise.all([this.get('/etc/passwd', { become: false }), this.get('/etc/group', { become: false })])
      .then(([passwd, group]) => (passwd && group ? { users: idTable(passwd), groups: idTable(group) } : undefined),
        () => undefined);
    return this.names;
  }

  /**
   * Drops the connection and dials again until the host answers (after a reboot) or `timeoutMs` passes.
   * A refused host key stops the wait at once: a host that comes back with another key is not the same host.
   */
  async reconnect(timeoutMs = this.timeouts.reconnectMs, intervalMs = 1000): Promise<void> {
    this.drop();
    this.closed = false;
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        await this.ensureClient(Math.max(1000, Math.min(this.timeouts.connectMs, deadline - Date.now())));
        return;
      } catch (error) {
        if (error instanceof HostKeyError) throw error;
        last = error;
        await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
      }
    }
    throw new UnreachableError(this.host, `${this.host} (${this.settings.address}:${this.settings.port}) did not ` +
      `answer again within ${Math.round(timeoutMs / 1000)} s: ${(last as Error)?.message ?? 'no attempt finished'}. ` +
      'Check the host console: it may not have come back from the reboot.');
  }

  private drop(): void {
    const clients = [this.client, ...this.jumps.reverse()];
    this.client = undefined;
    this.jumps = [];
    this.sftpSession = undefined;
    for (const shell of this.idleShells.splice(0)) shell.end();
    for (const c of clients) c?.end();
  }

  private ensureClient(connectMs = this.timeouts.connectMs): Promise<Client> {
    if (this.closed) {
      return Promise.reject(new UnreachableError(this.host, `${this.host}: connection already closed`));
    }
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.dial(connectMs).then((client) => {
      this.client = client;
      return client;
    }).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** Connects through every ProxyJump hop (a forwarded channel on the previous hop is the next socket). */
  private async dial(connectMs: number): Promise<Client> {
    // require, not import(): the bundled CLI is CommonJS compiled from a V8 code cache, without an ESM loader.
    const { NodeSSH } = createRequire(import.meta.url)('node-ssh') as typeof import('node-ssh');
    const chain = [...this.settings.jumps, this.settings];
    const opened: Client[] = [];
    try {
      let sock: Duplex | undefined;
      for (const [i, endpoint] of chain.entries()) {
        const client = await handshake(NodeSSH, endpoint, sock, { ...this.timeouts, connectMs }, this.host);
        opened.push(client);
        if (i + 1 < chain.length) sock = await forward(client, chain[i + 1], this.host);
      }
      const client = opened.pop()!;
      this.jumps = opened;
      client.setMaxListeners(64);
      client.on('close', () => {
        if (this.client === client) this.drop();
      });
      return client;
    } catch (error) {
      for (const c of opened) c.end();
      throw error;
    }
  }

  private sftp(): Promise<Sftp> {
    this.sftpSession ??= this.ensureClient().then((client) => new Promise<Sftp>((resolve, reject) =>
      client.sftp((err, sftp) => (err ? reject(this.lost(err)) : resolve(sftp)))));
    this.sftpSession.catch(() => {
      this.sftpSession = undefined;
    });
    return this.sftpSession;
  }

  private async exec(command: string, stdin?: string | Buffer, timeoutMs?: number, signal?: AbortSignal): Promise<RawResult> {
    const client = await this.ensureClient();
    const release = await this.slots.acquire();
    try {
      const limit = timeoutMs ?? this.timeouts.commandMs;
      if (this.settings.persistentShell !== false && !(stdin && stdin.length > SHELL_STDIN_LIMIT)) {
        return await this.execInShell(client, command, stdin, limit, signal);
      }
      // A channel of its own: make room for it under MaxSessions by ending an idle shell.
      this.idleShells.pop()?.end();
      return await this.withChannelRetry(() => this.execOn(client, command, stdin, limit, signal));
    } finally {
      release();
    }
  }

  /** sshd may still count a just-closed session against MaxSessions for a moment: wait and try again. */
  private async withChannelRetry<T>(open: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await open();
      } catch (error) {
        if (!(error instanceof ChannelRefused) || attempt >= 20) throw error instanceof ChannelRefused ? this.lost(error) : error;
        await sleep(10 * attempt);
      }
    }
  }

  /** Runs one command in an idle remote shell (started when none is idle); a timeout or Ctrl-C ends that shell. */
  private async execInShell(client: Client, command: string, stdin: string | Buffer | undefined,
    timeoutMs: number | undefined, signal?: AbortSignal): Promise<RawResult> {
    const shell = this.idleShells.pop() ?? await this.withChannelRetry(() => this.startShell(client));
    return new Promise<RawResult>((resolve, reject) => {
      const { finish, arm } = commandOutcome(signal);
      arm(timeoutMs, () => {
        shell.kill();
        reject(new CommandTimeoutError(command, timeoutMs!));
      }, () => {
        this.interruptGroup(client, shell.processGroup);
        shell.kill('INT');
        resolve(interrupted());
      });
      shell.run(command, stdin).then((result) => finish(() => {
        if (this.client === client && shell.usable) this.idleShells.push(shell);
        else shell.end();
        resolve(result);
      }), (error: Error) => finish(() => reject(this.lost(error))));
    });
  }

  /**
   * Ctrl-C for a command in a remote shell. The signal request on the shell's channel is not enough: when the run
   * then ends and the connection closes, sshd leaves a command without a terminal running. So SIGINT also goes to
   * the shell's whole process group from a channel of its own (sudo passes it on to what it runs), SIGKILL a second
   * later; `close` waits (at most 2 s) until that command has started.
   */
  private interruptGroup(client: Client, group: number): void {
    if (!(group > 1)) return;
    // No `--`: dash's kill builtin refuses it; `-N` after the signal is a process group in dash, bash and procps.
    const kill = `${shellCommand('kill', '-INT', `-${group}`)} 2>/dev/null; sleep 1; ` +
      `${shellCommand('kill', '-KILL', `-${group}`)} 2>/dev/null; exit 0`;
    const sent: Promise<void> = new Promise<void>((resolve) => {
      try {
        client.exec(kill, (err, channel) => {
          if (!err) {
            channel.on('error', () => undefined);
            channel.stderr.on('data', () => undefined);
            channel.resume();
          }
          resolve();
        });
      } catch {
        resolve();
      }
    });
    this.interrupts.add(sent);
    void sent.then(() => this.interrupts.delete(sent));
  }

  private startShell(client: Client): Promise<RemoteShell> {
    return new Promise<RemoteShell>((resolve, reject) => {
      client.exec('exec /bin/sh', (err, channel) => {
        if (err) {
          return reject(this.channelError(client, err));
        }
        RemoteShell.start(channel).then(resolve, (error: Error) => reject(this.lost(error)));
      });
    });
  }

  private execOn(client: Client, command: string, stdin: string | Buffer | undefined,
    timeoutMs: number | undefined, signal?: AbortSignal): Promise<RawResult> {
    return new Promise((resolve, reject) => {
      const onLost = (): void => finish(() => reject(this.lost(new Error('the connection closed while a command ran'))));
      const { finish, arm } = commandOutcome(signal, () => client.removeListener('close', onLost));
      client.once('close', onLost);
      try {
        client.exec(command, (err, channel) => {
          if (err) {
            return finish(() => reject(this.channelError(client, err)));
          }
          collect(channel, (result) => finish(() => (result
            ? resolve(result)
            : reject(this.lost(new Error('the channel closed without an exit status (connection dropped?)'))))));
          // Ctrl-C: SIGINT to the remote command (OpenSSH honours signal requests), then close its channel, so the
          // run can end at once instead of waiting for, say, a driver installer to finish.
          arm(timeoutMs, () => {
            killChannel(channel);
            reject(new CommandTimeoutError(command, timeoutMs!));
          }, () => {
            try {
              channel.signal('INT');
            } catch {
              // no signal support: closing the channel below still ends our side
            }
            setTimeout(() => killChannel(channel), 1000).unref();
            resolve(interrupted());
          });
          channel.on('error', () => undefined);
          channel.end(stdin && stdin.length > 0 ? stdin : undefined);
        });
      } catch (error) {
        finish(() => reject(this.lost(error as Error)));
      }
    });
  }

  /** A channel that would not open: the server's MaxSessions (try again soon) or a lost connection. */
  private channelError(client: Client, err: Error): Error {
    const refused = /Channel open failure/.test(err.message) && this.client === client;
    return refused ? new ChannelRefused(err.message) : this.lost(err);
  }

  private lost(error: Error): UnreachableError {
    if (error instanceof UnreachableError) return error;
    return new UnreachableError(this.host, `${this.host} (${this.settings.address}:${this.settings.port}): ` +
      `SSH connection failed: ${error.message}`);
  }

  /** sudo only when it changes something: not for the become user itself, nor for a uid-0 login becoming root. */
  private async needsSudo(become: boolean | undefined): Promise<boolean> {
    if (!(become ?? this.settings.become.byDefault) || this.settings.user === this.settings.become.user) return false;
    if (this.settings.become.user !== 'root') return true;
    this.loginUid ??= this.exec('id -u').then((r) => (r.rc === 0 ? Number(r.stdout.toString().trim()) : -1));
    return (await this.loginUid) !== 0;
  }

  /** Adds env exports and sudo around a command; the become password goes on stdin, never on the command line. */
  private async wrap(command: string, options: RunOptions): Promise<{ line: string; stdin?: string | Buffer }> {
    const body = envPrefix(options.env) + command;
    if (!(await this.needsSudo(options.become))) return { line: body, stdin: options.stdin };
    const user = this.settings.become.user;
    if (!(await this.sudoWantsPassword())) {
      return { line: shellCommand('sudo', '-n', '-H', '-u', user, '--', 'sh', '-c', body), stdin: options.stdin };
    }
    const password = Buffer.from(`${this.settings.become.password}\n`);
    const input = options.stdin === undefined ? Buffer.alloc(0) : Buffer.from(options.stdin);
    return {
      line: shellCommand('sudo', '-S', '-p', '', '-H', '-u', user, '--', 'sh', '-c', body),
      stdin: Buffer.concat([password, input]),
    };
  }

  /** With a become password, asks once whether sudo needs it (NOPASSWD rules would hand it to the command). */
  private sudoWantsPassword(): Promise<boolean> {
    if (this.settings.become.password === undefined) return Promise.resolve(false);
    this.sudoPassword ??= this.exec(shellCommand('sudo', '-n', '-u', this.settings.become.user, 'true'))
      .then((r) => r.rc !== 0);
    return this.sudoPassword;
  }

  private async putWithSudo(content: string | Buffer, remotePath: string, options: SshFileOptions): Promise<void> {
    const upload = `/tmp/.phoenix-upload-${randomBytes(8).toString('hex')}`;
    const sftp = await this.sftp();
    try {
      await sftpCall((cb) => sftp.writeFile(upload, content, { mode: 0o600 }, cb));
      const temp = siblingTemp(remotePath);
      const steps = [
        shellCommand('cp', '--', upload, temp),
        shellCommand('chmod', (options.mode ?? 0o644).toString(8), temp),
        ...(options.owner || options.group ? [shellCommand('chown', ownerSpec(options), temp)] : []),
        shellCommand('mv', '-f', '--', temp, remotePath),
      ];
      const script = `${steps.join(' && ')} || { rc=$?; rm -f -- ${shellCommand(temp)}; exit $rc; }`;
      await this.mustRun(script, 'write', true);
    } catch (error) {
      throw this.fileError('write', remotePath, error);
    } finally {
      sftp.unlink(upload, () => undefined);
    }
  }

  private async mustRun(command: string, what: string, become?: boolean): Promise<void> {
    const result = await this.run(command, { become });
    if (result.rc !== 0) throw new Error(`${what} failed (rc ${result.rc}): ${result.stderr.trim()}`);
  }

  private fileError(verb: string, path: string, error: unknown): Error {
    if (error instanceof UnreachableError) return error;
    if (!this.client) return this.lost(error as Error);
    // SFTP's "No such file" on a write means the directory is missing (the temp file is made beside the target).
    const missingDir = verb === 'write' && (error as { code?: unknown }).code === 2 ? ` (${dirname(path)} does not exist)` : '';
    return new Error(`${this.host}: cannot ${verb} ${path}: ${(error as Error).message}${missingDir}`);
  }
}

const READ_CHUNK = 64 * 1024;

/**
 * Reads a whole file in two round trips for a small one: open, then its size and the first chunk side by side
 * (ssh2's readFile waits for each of open, fstat, read and close). The close is not waited for.
 */
async function readOverSftp(sftp: Sftp, path: string): Promise<Buffer> {
  const handle = await new Promise<Buffer>((resolve, reject) => sftp.open(path, 'r', (err, h) => (err ? reject(err) : resolve(h))));
  const chunks: Buffer[] = [];
  let position = 0;
  const readChunk = (): Promise<number> => new Promise((resolve, reject) => {
    const buffer = Buffer.allocUnsafe(READ_CHUNK);
    sftp.read(handle, buffer, 0, READ_CHUNK, position, (err, bytesRead) => {
      if (err) return (err as { code?: unknown }).code === 1 ? resolve(0) : reject(err); // SSH_FX_EOF
      chunks.push(buffer.subarray(0, bytesRead));
      position += bytesRead;
      resolve(bytesRead);
    });
  });
  try {
    const [attrs, first] = await Promise.all([
      new Promise<SftpAttrs>((resolve, reject) => sftp.fstat(handle, (err, a) => (err ? reject(err) : resolve(a)))),
      readChunk(),
    ]);
    if (!(first > 0 && position === attrs.size)) while ((await readChunk()) > 0);
    return Buffer.concat(chunks);
  } finally {
    sftp.close(handle, () => undefined);
  }
}

/** `name:x:id:...` lines (passwd, group) to id → name; the first name of an id wins, as getpwuid's does. */
function idTable(text: Buffer): Record<string, string> {
  const table: Record<string, string> = {};
  for (const line of text.toString('utf8').split('\n')) {
    const [name, , id] = line.split(':');
    if (name && id && /^\d+$/.test(id) && !(id in table)) table[id] = name;
  }
  return table;
}

/**
 * Settles a command's promise once, whichever comes first: its result, its time limit or the run's Ctrl-C. `arm`
 * starts the time limit and listens for the signal once the command is under way; `finish` clears both.
 */
function commandOutcome(signal: AbortSignal | undefined, cleanup?: () => void): {
  finish: (settle: () => void) => void;
  arm: (timeoutMs: number | undefined, onTimeout: () => void, onInterrupt: () => void) => void;
} {
  let done = false;
  let timer: NodeJS.Timeout | undefined;
  let onAbort = (): void => undefined;
  const finish = (settle: () => void): void => {
    if (done) return;
    done = true;
    if (timer) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    cleanup?.();
    settle();
  };
  const arm = (timeoutMs: number | undefined, onTimeout: () => void, onInterrupt: () => void): void => {
    if (timeoutMs) timer = setTimeout(() => finish(onTimeout), timeoutMs);
    onAbort = () => finish(onInterrupt);
    signal?.addEventListener('abort', onAbort, { once: true });
  };
  return { finish, arm };
}

function interrupted(): RawResult {
  return { rc: 130, stdout: Buffer.alloc(0), stderr: Buffer.from('phoenix: interrupted\n') };
}

/** Gathers a channel's output; `done(undefined)` when it closed without exit status or signal (link lost). */
function collect(channel: Channel, done: (result: RawResult | undefined) => void): void {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let code: number | null | undefined;
  let signal: string | undefined;
  channel.on('data', (d: Buffer) => out.push(d));
  channel.stderr.on('data', (d: Buffer) => err.push(d));
  channel.on('exit', (c: number | null, s?: string) => {
    code = c;
    signal = s;
  });
  channel.on('close', () => done(code === undefined && signal === undefined ? undefined : {
    rc: typeof code === 'number' ? code : 128 + (SIGNALS[signal ?? ''] ?? 0),
    stdout: Buffer.concat(out),
    stderr: Buffer.concat(err),
  }));
}

function killChannel(channel: Channel): void {
  try {
    channel.signal('KILL');
  } catch {
    // the server may not support signals; closing the channel is enough for us
  }
  channel.close();
}

function envPrefix(env: Record<string, string> | undefined): string {
  if (!env) return '';
  return Object.entries(env).map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid environment variable name: ${name}`);
    return `export ${name}=${shellCommand(value)}; `;
  }).join('');
}

function ownerSpec(options: PutOptions): string {
  return `${options.owner ?? ''}${options.group ? `:${options.group}` : ''}`;
}

/** A temp name in the destination's directory, so the final rename is atomic. */
function siblingTemp(path: string): string {
  return join(dirname(path), `.${basename(path)}.phoenix-${randomBytes(6).toString('hex')}`);
}

function sftpCall(call: (cb: (err?: Error) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => call((err) => (err ? reject(err) : resolve())));
}

type NodeSshClass = typeof import('node-ssh').NodeSSH;

/** Opens one SSH session (TCP or a forwarded socket), checking the host key and logging in. */
async function handshake(NodeSSH: NodeSshClass, endpoint: SshEndpoint, sock: Duplex | undefined,
  timeouts: SshTimeouts, host: string): Promise<Client> {
  const entries = await loadKnownHosts(endpoint.knownHostsFile);
  const name = knownHostName(endpoint.address, endpoint.port);
  let refused: Error | undefined;
  const hostVerifier = (key: Buffer, verify: (ok: boolean) => void): void => {
    const verdict = checkHostKey(entries, name, key);
    if (verdict.kind === 'known' || (verdict.kind === 'unknown' && endpoint.policy === 'off')) return verify(true);
    if (verdict.kind === 'unknown' && endpoint.policy === 'accept-new') {
      addKnownHost(endpoint.knownHostsFile, name, key).then(() => verify(true), (error: Error) => {
        refused = new UnreachableError(host, `cannot add ${name} to ${endpoint.knownHostsFile}: ${error.message}`);
        verify(false);
      });
      return;
    }
    refused = hostKeyError({ ...endpoint, host }, verdict, key);
    verify(false);
  };
  const ssh = new NodeSSH();
  const algorithms = preferredHostKeyAlgorithms(entries, name);
  try {
    await ssh.connect({
      host: endpoint.address, port: endpoint.port, username: endpoint.user, sock,
      readyTimeout: timeouts.connectMs, keepaliveInterval: timeouts.keepaliveMs,
      keepaliveCountMax: timeouts.keepaliveCountMax, hostVerifier,
      authHandler: await authMethods(endpoint, host),
      ...(algorithms ? { algorithms: { serverHostKey: algorithms } } : {}),
    } as Parameters<InstanceType<NodeSshClass>['connect']>[0]);
  } catch (error) {
    ssh.connection?.end();
    throw refused ?? unreachable(endpoint, host, error as Error & { code?: string; level?: string }, timeouts);
  }
  const client = ssh.connection as unknown as Client;
  client.on('error', () => undefined); // 'close' follows; commands in flight are failed there
  // Many small packets per command (open, exec, EOF): Nagle + delayed ACK would add ~40 ms to each.
  client.setNoDelay(true);
  return client;
}

async function authMethods(endpoint: SshEndpoint, host: string): Promise<AuthMethod[]> {
  const username = endpoint.user;
  const methods: AuthMethod[] = [];
  for (const file of endpoint.identityFiles) {
    try {
      methods.push({ type: 'publickey', username, key: await readFile(file) });
    } catch (error) {
      if (!endpoint.requiredKeys?.includes(file)) continue;
      throw new UnreachableError(host, `${host}: cannot read private key ${file} (ansible_ssh_private_key_file): ` +
        `${(error as Error).message}`);
    }
  }
  if (endpoint.agent) methods.push({ type: 'agent', username, agent: endpoint.agent });
  if (endpoint.password !== undefined) methods.push({ type: 'password', username, password: endpoint.password });
  if (methods.length === 0) methods.push({ type: 'none', username });
  return methods;
}

/** Opens a channel from `via` to the next hop; its stream is the next handshake's socket. */
function forward(via: Client, next: SshEndpoint, host: string): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    via.forwardOut('127.0.0.1', 0, next.address, next.port, (err, stream) => {
      if (err) {
        reject(new UnreachableError(host, `${host}: the jump host could not reach ${next.address}:${next.port}: ` +
          `${err.message}`));
      } else resolve(stream);
    });
  });
}

/** Turns a failed connect into a message that says where, why, and what to check. */
function unreachable(endpoint: SshEndpoint, host: string, error: Error & { code?: string; level?: string },
  timeouts: SshTimeouts): UnreachableError {
  const where = `${endpoint.user}@${endpoint.address}:${endpoint.port}`;
  const text = `${error.code ?? ''} ${error.message}`;
  let reason: string;
  if (error.level === 'client-authentication') {
    const tried = [...endpoint.identityFiles, ...(endpoint.agent ? ['ssh-agent'] : []),
      ...(endpoint.password !== undefined ? ['password'] : [])];
    reason = `authentication failed (tried: ${tried.join(', ') || 'nothing'}); check ansible_user, ` +
      'ansible_ssh_private_key_file and the key in the remote authorized_keys';
  } else if (/ECONNREFUSED/.test(text)) {
    reason = 'connection refused: nothing listens on that port (is sshd running? is ansible_port right?)';
  } else if (/ETIMEDOUT|Timed out|No response/i.test(text)) {
    reason = `no SSH answer within ${Math.round(timeouts.connectMs / 100) / 10} s (host down, firewall, wrong address?)`;
  } else if (/ENOTFOUND|EAI_AGAIN/.test(text)) {
    reason = `cannot resolve ${endpoint.address} (check ansible_host or HostName in ~/.ssh/config)`;
  } else if (/EHOSTUNREACH|ENETUNREACH/.test(text)) {
    reason = 'no route to host (network down or wrong address?)';
  } else reason = error.message;
  const via = endpoint.host !== host ? ` (jump host ${endpoint.host})` : '';
  return new UnreachableError(host, `${host}: cannot connect to ${where}${via}: ${reason}`);
}
