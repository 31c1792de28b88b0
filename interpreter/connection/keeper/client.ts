import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { resolve } from 'node:path';
import type { SshEndpoint, SshFileOptions, SshSettings, SshTimeouts } from '../ssh.js';
import {
  UnreachableError, type CommandResult, type Connection, type FileStat, type IdNames, type RunOptions,
} from '../types.js';
import { errorFromWire, lineWriter, readLines, type KeeperReply, type KeeperRequest, type WarmConnection } from './protocol.js';

type RequestBody = KeeperRequest extends infer R ? R extends unknown ? Omit<R, 'id'> : never : never;

/** How to reach (and if need be start) the keeper. */
export interface KeeperOptions {
  socketPath: string;
  persistMs: number;
  /**
   * Starts a keeper process for `socketPath` now (detached: it outlives this run), so that it has loaded by the time
   * this run ends; it waits for the connections to open, handed over when the run ends.
   */
  start: () => KeeperHandOver;
}

/** Hands a started keeper the connections to open at once (undefined: none, the keeper is not needed and ends). */
export type KeeperHandOver = (warm: WarmConnection[] | undefined) => void;

/**
 * Starts `node ENTRY __ssh-keeper SOCKET PERSIST_MS` in its own session, detached from this run's terminal. It loads
 * while the run works and listens once it has read the connections to open on its stdin, at the end of the run
 * (they may hold passwords: never on a command line or in a file); `null` when there are none (it ends). A run that
 * dies first closes the pipe: the keeper opens nothing and ends when idle.
 */
export function spawnKeeper(entry: string, socketPath: string, persistMs: number): KeeperHandOver {
  // A small young generation: the keeper holds many connections for a long time, and RSS matters more than the
  // few extra scavenges (100 connections: ~110 -> see bench/RESULTS.md).
  const child = spawn(process.execPath, ['--max-semi-space-size=1', entry, '__ssh-keeper', socketPath, String(persistMs)], {
    detached: true, stdio: ['pipe', 'ignore', 'ignore'], cwd: '/', env: { ...process.env, PHOENIX_SSH_PERSIST: '0' },
  });
  child.on('error', () => undefined);
  child.stdin!.on('error', () => undefined);
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  return (warm) => {
    child.stdin!.end(warm ? JSON.stringify(warm.map((w) => ({ ...w, settings: absolute(w.settings as SshSettings) }))) : 'null');
  };
}

/** The keeper's socket closed: what was in flight (or asked later) cannot be answered. */
class KeeperGoneError extends Error {}

/** This run's line to the keeper: requests out, replies matched back by id. */
export class KeeperClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private broken?: KeeperGoneError;
  private readonly send: (line: string) => void;

  private constructor(private readonly socket: Socket) {
    this.send = lineWriter(socket);
    socket.unref();
    readLines(socket, (line) => this.reply(JSON.parse(line) as KeeperReply));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.broken = new KeeperGoneError('the SSH keeper process ended');
      for (const waiter of this.pending.values()) waiter.reject(this.broken);
      this.pending.clear();
    });
  }

  /**
   * Connects to the keeper; undefined when none answers. Then this run connects on its own (waiting for a new keeper
   * to load and log in costs more than connecting directly) and starts one when it ends (see ConnectionPool).
   */
  static async open(options: KeeperOptions): Promise<KeeperClient | undefined> {
    const socket = await dial(options.socketPath);
    return socket ? new KeeperClient(socket) : undefined;
  }

  request(body: RequestBody): { id: number; done: Promise<unknown> } {
    const id = this.nextId++;
    const done = new Promise<unknown>((resolve, reject) => {
      if (this.broken) return reject(this.broken);
      this.pending.set(id, { resolve, reject });
      this.socket.ref();
      this.send(JSON.stringify({ ...body, id }));
    });
    return { id, done };
  }

  call(body: RequestBody): Promise<unknown> {
    return this.request(body).done;
  }

  /** Tells the keeper this run is over (it releases what the run held); the keeper goes on. */
  end(): void {
    this.socket.end();
  }

  private reply(message: KeeperReply): void {
    const waiter = this.pending.get(message.id);
    if (!waiter) return;
    this.pending.delete(message.id);
    if (this.pending.size === 0) this.socket.unref();
    if (message.error) waiter.reject(errorFromWire(message.error));
    else waiter.resolve(message.value);
  }
}

/** The keeper runs in `/`: key and known_hosts paths given relative to this run's directory are made absolute. */
export function absolute<T extends SshEndpoint>(endpoint: T): T {
  const copy = {
    ...endpoint,
    identityFiles: endpoint.identityFiles.map((f) => resolve(f)),
    requiredKeys: endpoint.requiredKeys?.map((f) => resolve(f)),
    knownHostsFile: resolve(endpoint.knownHostsFile),
  };
  return 'jumps' in copy ? { ...copy, jumps: (copy as unknown as SshSettings).jumps.map(absolute) } : copy;
}

function dial(socketPath: string): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', () => resolve(undefined));
  });
}

/**
 * An SSH connection that lives in the keeper: the same contract as `SshConnection` (commands, files, reconnect),
 * each call one request over the keeper's socket. A keeper that dies makes the host unreachable for this run.
 */
export class KeptConnection implements Connection {
  private released = false;
  private names?: Promise<IdNames | undefined>;

  private constructor(readonly host: string, private readonly keeper: KeeperClient, private readonly key: string) {}

  static async open(keeper: KeeperClient, host: string, settings: SshSettings, timeouts: SshTimeouts,
    maxChannels?: number): Promise<KeptConnection> {
    const key = await keeper.call({ op: 'open', host, settings: absolute(settings), timeouts, maxChannels }) as string;
    const conn = new KeptConnection(host, keeper, key);
    conn.idNames().catch(() => undefined); // the first SFTP probe needs them: read them while the run gets there
    return conn;
  }

  async connect(): Promise<void> {}

  async run(command: string, options: RunOptions = {}): Promise<CommandResult> {
    if (options.signal?.aborted) return { rc: 130, stdout: '', stderr: 'phoenix: interrupted, command not started\n' };
    const { id, done } = this.keeper.request({
      op: 'run', conn: this.key, command, timeoutMs: options.timeoutMs, env: options.env, become: options.become, viaShell: options.viaShell,
      stdin: options.stdin === undefined ? undefined : Buffer.from(options.stdin).toString('base64'),
    });
    const onAbort = (): void => void this.keeper.call({ op: 'abort', target: id }).catch(() => undefined);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.lostIfBroken(done) as CommandResult;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  async put(content: string | Buffer, remotePath: string, options: SshFileOptions = {}): Promise<void> {
    await this.lostIfBroken(this.keeper.call({
      op: 'put', conn: this.key, content: Buffer.from(content).toString('base64'), path: remotePath,
      options: { ...options },
    }));
  }

  async get(remotePath: string, options: { become?: boolean } = {}): Promise<Buffer | null> {
    const data = await this.lostIfBroken(this.keeper.call({ op: 'get', conn: this.key, path: remotePath,
      become: options.become }));
    return data === null ? null : Buffer.from(data as string, 'base64');
  }

  async statPath(path: string, options: { follow?: boolean; become?: boolean } = {}): Promise<FileStat | null | undefined> {
    const answer = await this.lostIfBroken(this.keeper.call({ op: 'stat', conn: this.key, path, ...options }));
    return answer === 'unavailable' ? undefined : answer as FileStat | null;
  }

  idNames(): Promise<IdNames | undefined> {
    this.names ??= this.lostIfBroken(this.keeper.call({ op: 'names', conn: this.key }))
      .then((names) => (names as IdNames | null) ?? undefined);
    return this.names;
  }

  async reconnect(timeoutMs?: number, intervalMs?: number): Promise<void> {
    await this.lostIfBroken(this.keeper.call({ op: 'reconnect', conn: this.key, timeoutMs, intervalMs }));
  }

  async close(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.keeper.call({ op: 'release', conn: this.key }).catch(() => undefined);
  }

  private async lostIfBroken(reply: Promise<unknown>): Promise<unknown> {
    try {
      return await reply;
    } catch (error) {
      if (error instanceof KeeperGoneError) {
        throw new UnreachableError(this.host, `${this.host}: ${error.message} during the run; run again`);
      }
      throw error;
    }
  }
}
