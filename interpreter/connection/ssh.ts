/**
 * One persistent SSH connection to one host (SshConnection): commands in remote shells or channels of their own,
 * files over SFTP or through sudo, reconnecting after a reboot. Connecting and host keys are in ssh-connect.ts,
 * running commands in ssh-exec.ts, SFTP in ssh-sftp.ts, time limits and Ctrl-C in ssh-interrupt.ts.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { shellCommand } from './quote.js';
import { IdleShells } from './idle-shells.js';
import { RemoteShell, SHELL_STDIN_LIMIT, ShellLostError } from './remote-shell.js';
import {
  CommandTimeoutError, UnreachableError, type CommandResult, type Connection, type FileStat, type IdNames, type PutOptions, type RunOptions,
  type ShellTarget,
} from './types.js';
import { HostKeyError } from './known-hosts.js';
import { DEFAULT_SSH_TIMEOUTS, forward, handshake, type Client, type SshEndpoint, type SshTimeouts } from './ssh-connect.js';
import { ChannelRefused, envPrefix, execOnChannel, Slots, type RawResult } from './ssh-exec.js';
import { commandOutcome, groupKillScript, interrupted, interruptGroup } from './ssh-interrupt.js';
import { idTable, ownerSpec, readOverSftp, sftpCall, siblingTemp, statOverSftp, type Sftp } from './ssh-sftp.js';

export { DEFAULT_SSH_TIMEOUTS, type SshEndpoint, type SshTimeouts } from './ssh-connect.js';

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
  /**
   * How many more connections to this host may hold container shells (`phoenix_ssh_shell_connections`, default
   * {@link DEFAULT_SHELL_CONNECTIONS}): each holds as many shells as it has channels, so a node's 30 busy containers
   * keep their shells instead of ending one another's.
   */
  shellConnections?: number;
}

/** File options with the become switch the shared contract does not have yet. */
export interface SshFileOptions extends PutOptions {
  become?: boolean;
}

/** OpenSSH's default MaxSessions is 10 per connection: 8 command channels + 1 SFTP stays under it. */
const DEFAULT_MAX_CHANNELS = 8;

/** node-ssh (and ssh2 under it), loaded on first use: ~40 ms of start-up a run without SSH hosts does without. */
export function loadSshLibrary(): typeof import('node-ssh') {
  // require, not import(): the bundled CLI is CommonJS compiled from a V8 code cache, without an ESM loader.
  return createRequire(import.meta.url)('node-ssh') as typeof import('node-ssh');
}

/** Shells {@link SshConnection.prepare} starts at once: a `pct exec` is a Perl start-up on the node each. */
const PREPARE_AT_ONCE = 4;

/** What a connection holds open for later commands (see {@link SshConnection.heldShells}). */
export interface HeldShells {
  /** The host's own shell. */
  host: boolean;
  sftp: boolean;
  /** Shells of targets (containers). */
  targets: ShellTarget[];
}

/** Extra connections for container shells: 8 x 8 channels keep the shells of 64 containers per node. */
export const DEFAULT_SHELL_CONNECTIONS = 8;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What starts a kind of remote shell, and how Ctrl-C reaches the process group of a command in it. */
interface ShellKind {
  /** Idle shells are reused by this key: '' for the host's own shell, the target's start line otherwise. */
  key: string;
  startLine: string;
  /** Commands are acknowledged before they run (a shell lost before that did not run the command). */
  ack: boolean;
  interrupt(client: Client, group: number): void;
}

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
  private readonly idleShells = new IdleShells();
  /** Shell targets whose shell would not start (no setsid in the container, say): their commands run the plain way. */
  private readonly shellless = new Set<string>();
  /**
   * The connections that hold container shells, opened as they are needed: never this one, whose channels are the
   * host's own commands and SFTP (a container's shell would end a host shell to make room, and the other way round).
   */
  private readonly shellHomes: SshConnection[] = [];
  /** Shells {@link prepare} is starting now, by start line: a command for one of them waits for it. */
  private readonly preparing = new Map<string, Promise<void>>();
  /**
   * The shell targets this connection's commands went for, by start line, as {@link heldShells} names them: how to
   * start each, not the command last run in it (that may carry a task's environment).
   */
  private readonly shellTargets = new Map<string, ShellTarget>();
  /** For a connection of another's {@link shellHomes}: that connection (its shellless set and Ctrl-C are the owner's). */
  private owner?: SshConnection;
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
    const kept = options.viaShell ? await this.runViaShell(options.viaShell, options) : undefined;
    if (kept) return toResult(kept);
    const { line, stdin } = await this.wrap(command, options);
    return toResult(await this.exec(line, stdin, options.timeoutMs, options.signal));
  }

  /**
   * A command of a shell target (a container) in the shell this connection keeps for it: one round trip instead
   * of a `pct exec` each. Undefined: run it the plain way (persistent shells off, large stdin, a sudo password, or
   * a shell that will not start, as for a stopped container, whose plain `pct exec` then says what is wrong).
   */
  private async runViaShell(target: ShellTarget, options: RunOptions): Promise<RawResult | undefined> {
    if (this.settings.persistentShell === false || this.shellless.has(target.start)) return undefined;
    if (options.stdin && Buffer.byteLength(options.stdin) > SHELL_STDIN_LIMIT) return undefined;
    // Noted before any wait, so that a prepare() coming later knows a command went for this shell.
    this.shellTargets.set(target.start, { start: target.start, beside: target.beside, command: 'true' });
    // A keeper's run after it may come while the shell is still starting: one start, not two.
    await this.preparing.get(target.start);
    // As root on the node, as `wrap` makes any command; a sudo that wants a password (on stdin) cannot start a shell.
    const rootLine = async (line: string): Promise<string | undefined> => {
      const wrapped = await this.wrap(line, { become: true });
      return wrapped.stdin === undefined ? wrapped.line : undefined;
    };
    const start = await rootLine(target.start);
    if (start === undefined) return undefined;
    const kind: ShellKind = {
      key: target.start, startLine: `exec ${start}`, ack: true,
      interrupt: (client, group) => void rootLine(`${target.beside} ${shellCommand('sh', '-c', groupKillScript(group))}`)
        .then((line) => line && this.interruptGroup(client, group, line)),
    };
    // Choosing the home and taking its slot with no await between: concurrent commands see each other's slots.
    const home = this.shellHome(kind.key);
    const release = await home.slots.acquire();
    try {
      const client = await home.ensureClient();
      return await home.execInShell(client, target.command, options.stdin, options.timeoutMs ?? this.timeouts.commandMs, options.signal, kind);
    } finally {
      release();
    }
  }

  /**
   * The connection for a command of the shell target `key`: the one holding its idle shell, else one with a free
   * channel, else a new one (up to `shellConnections`), else the least busy (which ends its oldest idle shell).
   */
  private shellHome(key: string): SshConnection {
    const homes = this.shellHomes;
    const holding = homes.find((c) => c.idleShells.has(key));
    if (holding) return holding;
    const roomy = homes.find((c) => c.idleShells.size + c.slots.inUse < c.slots.size);
    if (roomy) return roomy;
    if (homes.length < Math.max(1, this.settings.shellConnections ?? DEFAULT_SHELL_CONNECTIONS)) {
      const home = new SshConnection(this.host, this.settings, this.timeouts, this.slots.size);
      home.owner = this;
      homes.push(home);
      return home;
    }
    return homes.reduce((a, b) => (b.slots.inUse < a.slots.inUse ? b : a));
  }

  /** What this connection holds open now for later commands: its own shell, its SFTP session, its targets' shells. */
  heldShells(): HeldShells {
    const live = new Set(this.shellHomes.flatMap((home) => home.idleShells.liveKeys()));
    return {
      host: this.idleShells.liveKeys().includes(''),
      sftp: this.sftpSession !== undefined,
      targets: [...live].flatMap((key) => this.shellTargets.get(key) ?? []),
    };
  }

  /**
   * Opens what {@link heldShells} named, a few at a time, for the commands of a later run (the keeper does this for
   * the run that connected on its own: its shells ended with it). A shell that will not start now (a container
   * stopped since) is not remembered as shell-less: a later command tries again.
   */
  async prepare(held: HeldShells): Promise<void> {
    const jobs: Array<() => Promise<unknown>> = held.targets.map((target) => () => this.prepareShell(target));
    if (held.host && this.settings.persistentShell !== false) jobs.unshift(() => this.exec('true'));
    if (held.sftp) jobs.unshift(() => this.sftp());
    const turns = new Slots(PREPARE_AT_ONCE);
    await Promise.all(jobs.map(async (job) => {
      const release = await turns.acquire();
      await job().catch(() => undefined);
      release();
    }));
  }

  private async prepareShell(target: ShellTarget): Promise<void> {
    // A command of a run came for it first (and started or took its shell): nothing to prepare.
    if (this.shellTargets.has(target.start)) return;
    const started = this.runViaShell({ ...target, command: 'true' }, {}).then(() => undefined, () => undefined);
    this.preparing.set(target.start, started);
    await started;
    this.preparing.delete(target.start);
    // No command went for it before (see above), so a shell-less mark can only be this attempt's.
    this.shellless.delete(target.start);
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
    await Promise.all(this.shellHomes.splice(0).map((home) => home.close()));
  }

  /**
   * lstat (or stat) over SFTP: one round trip, no process on the host (a symlink: one more for its target and
   * resolved path). Not for paths that need sudo.
   */
  async statPath(path: string, options: { follow?: boolean; become?: boolean } = {}): Promise<FileStat | null | undefined> {
    if (await this.needsSudo(options.become)) return undefined;
    return statOverSftp(await this.sftp(), path, options);
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
    this.idleShells.endAll();
    for (const c of clients) c?.end();
    // The host went away (a reboot) or is dropped: its container shells went with it; the homes dial again on use.
    for (const home of this.shellHomes) home.drop();
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
    const { NodeSSH } = loadSshLibrary();
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
        return (await this.execInShell(client, command, stdin, limit, signal))!;
      }
      // A channel of its own: make room for it under MaxSessions by ending an idle shell.
      this.idleShells.endOldest();
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

  /** The host's own shell: `exec /bin/sh`, Ctrl-C to the process group of the session sshd made it lead. */
  private readonly hostShell: ShellKind = {
    key: '', startLine: 'exec /bin/sh', ack: false,
    interrupt: (client, group) => this.interruptGroup(client, group),
  };

  /**
   * Runs one command in an idle remote shell of `kind` (started when none is idle); a timeout or Ctrl-C ends that
   * shell. For an acknowledging kind (a container's), a shell lost before the command started is replaced once, and
   * one lost while it ran (the container stopped under it) gives rc 255, as `pct exec` would; a shell that will not
   * start gives undefined.
   */
  private async execInShell(client: Client, command: string, stdin: string | Buffer | undefined,
    timeoutMs: number | undefined, signal?: AbortSignal, kind: ShellKind = this.hostShell): Promise<RawResult | undefined> {
    for (let attempt = 1; ; attempt++) {
      const shell = await this.shellFor(client, kind);
      if (!shell) return undefined;
      try {
        return await this.runInShell(client, shell, command, stdin, timeoutMs, signal, kind);
      } catch (error) {
        if (!(error instanceof ShellLostError)) throw error;
        if (!error.started) {
          if (attempt < 2) continue;
          return undefined;
        }
        return { rc: 255, stdout: Buffer.alloc(0), stderr: Buffer.from(`phoenix: the shell ended while the command ran (${error.message})\n`) };
      }
    }
  }

  /** An idle shell of `kind`, or a new one (ending the oldest idle shell when the channels would run out). */
  private async shellFor(client: Client, kind: ShellKind): Promise<RemoteShell | undefined> {
    const idle = this.idleShells.take(kind.key);
    if (idle) return idle;
    while (this.idleShells.size > 0 && this.idleShells.size + this.slots.inUse > this.slots.size) this.idleShells.endOldest();
    try {
      return await this.withChannelRetry(() => this.startShell(client, kind));
    } catch (error) {
      if (!kind.ack || this.client !== client) throw error;
      (this.owner ?? this).shellless.add(kind.key);
      return undefined;
    }
  }

  private runInShell(client: Client, shell: RemoteShell, command: string, stdin: string | Buffer | undefined,
    timeoutMs: number | undefined, signal: AbortSignal | undefined, kind: ShellKind): Promise<RawResult> {
    return new Promise<RawResult>((resolve, reject) => {
      const { finish, arm } = commandOutcome(signal);
      arm(timeoutMs, () => {
        if (kind.ack) kind.interrupt(client, shell.processGroup);
        shell.kill();
        reject(new CommandTimeoutError(command, timeoutMs!));
      }, () => {
        kind.interrupt(client, shell.processGroup);
        shell.kill('INT');
        resolve(interrupted());
      });
      shell.run(command, stdin).then((result) => finish(() => {
        if (this.client === client && shell.usable) this.idleShells.give(kind.key, shell);
        else shell.end();
        resolve(result);
      }), (error: Error) => finish(() => {
        // A container's shell lost while its node's connection stands is the container's matter (execInShell).
        reject(kind.ack && error instanceof ShellLostError && this.client === client ? error : this.lost(error));
      }));
    });
  }

  /** Ctrl-C for a command in a remote shell's process group; `close` waits (at most 2 s) until it has started. */
  private interruptGroup(client: Client, group: number, line?: string): void {
    const sent = interruptGroup(client, group, line);
    if (!sent) return;
    this.interrupts.add(sent);
    void sent.then(() => this.interrupts.delete(sent));
  }

  private startShell(client: Client, kind: ShellKind): Promise<RemoteShell> {
    return new Promise<RemoteShell>((resolve, reject) => {
      client.exec(kind.startLine, (err, channel) => {
        if (err) {
          return reject(this.channelError(client, err));
        }
        RemoteShell.start(channel, kind.ack).then(resolve, (error: Error) => reject(this.lost(error)));
      });
    });
  }

  private execOn(client: Client, command: string, stdin: string | Buffer | undefined,
    timeoutMs: number | undefined, signal?: AbortSignal): Promise<RawResult> {
    return execOnChannel(client, command, stdin, timeoutMs, signal, {
      lost: (error) => this.lost(error),
      channelError: (err) => this.channelError(client, err),
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

function toResult(raw: RawResult): CommandResult {
  return { rc: raw.rc, stdout: raw.stdout.toString('utf8'), stderr: raw.stderr.toString('utf8') };
}
