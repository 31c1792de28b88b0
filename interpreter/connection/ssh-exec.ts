/**
 * Running commands on an SSH connection: the channel slots under the server's MaxSessions, a command on a channel
 * of its own with its output gathered, and the env exports put in front of a command.
 */
import { shellCommand } from './quote.js';
import type { ShellChannel } from './remote-shell.js';
import type { Client } from './ssh-connect.js';
import { commandOutcome, interrupted, killChannel } from './ssh-interrupt.js';
import { CommandTimeoutError, type UnreachableError } from './types.js';

type Channel = ShellChannel;

export interface RawResult {
  rc: number;
  stdout: Buffer;
  stderr: Buffer;
}

/** Limits how many channels are open at once; the rest wait their turn. */
export class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];
  /** How many channels may be open at once. */
  constructor(readonly size: number) {
    this.free = size;
  }
  /** Slots taken now. */
  get inUse(): number {
    return this.size - this.free;
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
export class ChannelRefused extends Error {}

const SIGNALS: Record<string, number> = { HUP: 1, INT: 2, QUIT: 3, ABRT: 6, KILL: 9, SEGV: 11, PIPE: 13, TERM: 15 };

/** How a channel failure becomes the connection's error (see SshConnection's lost and channelError). */
export interface ChannelFailures {
  lost(error: Error): UnreachableError;
  channelError(err: Error): Error;
}

/** Runs one command on a channel of its own; a timeout kills it, Ctrl-C sends it SIGINT and closes the channel. */
export function execOnChannel(client: Client, command: string, stdin: string | Buffer | undefined,
  timeoutMs: number | undefined, signal: AbortSignal | undefined, failed: ChannelFailures): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const onLost = (): void => finish(() => reject(failed.lost(new Error('the connection closed while a command ran'))));
    const { finish, arm } = commandOutcome(signal, () => client.removeListener('close', onLost));
    client.once('close', onLost);
    try {
      client.exec(command, (err, channel) => {
        if (err) {
          return finish(() => reject(failed.channelError(err)));
        }
        collect(channel, (result) => finish(() => (result
          ? resolve(result)
          : reject(failed.lost(new Error('the channel closed without an exit status (connection dropped?)'))))));
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
      finish(() => reject(failed.lost(error as Error)));
    }
  });
}

/** Gathers a channel's output; `done(undefined)` when it closed without exit status or signal (link lost). */
export function collect(channel: Channel, done: (result: RawResult | undefined) => void): void {
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

export function envPrefix(env: Record<string, string> | undefined): string {
  if (!env) return '';
  return Object.entries(env).map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid environment variable name: ${name}`);
    return `export ${name}=${shellCommand(value)}; `;
  }).join('');
}
