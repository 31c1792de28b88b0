import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { quote } from './quote.js';

/** The part of an ssh2 channel a {@link RemoteShell} uses. */
export interface ShellChannel extends Duplex {
  stderr: EventEmitter;
  signal(name: string): void;
  close(): void;
}

/** What one command produced. */
export interface ShellResult {
  rc: number;
  stdout: Buffer;
  stderr: Buffer;
}

/** Standard input larger than this goes over a channel of its own instead (it travels base64 inside the request). */
export const SHELL_STDIN_LIMIT = 64 * 1024;

/**
 * The shell died while a command ran (connection lost, or the shell was killed): the result is unknown. `started`
 * says whether the shell had begun the command (only known for shells that acknowledge each command).
 */
export class ShellLostError extends Error {
  constructor(message: string, readonly started = true) {
    super(message);
  }
}

/**
 * Collects one command's output until both end marks came back: `<mark><rc>\n` on stdout and `<mark>\n` on stderr.
 * The mark is random per command, so output can neither fake nor hide it.
 */
class PendingCommand {
  private readonly out: Buffer[] = [];
  private readonly err: Buffer[] = [];
  private outTail = '';
  private errTail = '';
  private rc?: number;
  private errDone = false;
  private readonly outEnd: RegExp;
  /** Bytes of the start acknowledgement still to come (0: none expected, or seen). */
  private ackLeft: number;

  constructor(readonly mark: string, private readonly done: (result: ShellResult) => void, ack = false) {
    this.outEnd = new RegExp(`${mark}(\\d+)\\n$`);
    this.ackLeft = ack ? startAck(mark).length : 0;
  }

  /** Whether the shell has begun the command (always true without acknowledgements). */
  get started(): boolean {
    return this.ackLeft === 0;
  }

  stdout(chunk: Buffer): void {
    if (this.ackLeft > 0) {
      const skip = Math.min(this.ackLeft, chunk.length);
      this.ackLeft -= skip;
      chunk = chunk.subarray(skip);
      if (chunk.length === 0) return;
    }
    this.out.push(chunk);
    this.outTail = (this.outTail + chunk.toString('latin1')).slice(-(this.mark.length + 8));
    const match = this.outEnd.exec(this.outTail);
    if (match) this.rc = Number(match[1]);
    this.settle();
  }

  stderr(chunk: Buffer): void {
    this.err.push(chunk);
    this.errTail = (this.errTail + chunk.toString('latin1')).slice(-(this.mark.length + 1));
    if (this.errTail === `${this.mark}\n`) this.errDone = true;
    this.settle();
  }

  private settle(): void {
    if (this.rc === undefined || !this.errDone) return;
    const stdout = Buffer.concat(this.out);
    const stderr = Buffer.concat(this.err);
    const outLength = stdout.length - (this.mark.length + String(this.rc).length + 1);
    this.done({ rc: this.rc, stdout: stdout.subarray(0, outLength), stderr: stderr.subarray(0, stderr.length - this.mark.length - 1) });
  }
}

/**
 * One long-lived `/bin/sh` on an SSH exec channel that runs phoenix's commands one after another: a command costs
 * one round trip on an open channel instead of a channel open, an exec request, a login shell's start-up and a
 * channel close. Each command runs as `( eval 'LINE' )`, a subshell, so its `exit`, `cd` and exports end with it;
 * standard input is `/dev/null` or the bytes given (sent base64, decoded by coreutils' `base64 -d`).
 */
export class RemoteShell {
  private pending?: PendingCommand;
  private rejectLost?: (error: Error) => void;
  private alive = true;

  private constructor(private readonly channel: ShellChannel, private readonly ack: boolean) {
    channel.on('data', (d: Buffer) => this.pending?.stdout(d));
    channel.stderr.on('data', (d: Buffer) => this.pending?.stderr(d));
    channel.on('error', () => undefined);
    channel.on('close', () => this.die());
  }

  /**
   * Starts the shell on `channel` (an exec of `exec /bin/sh`) and waits until it answers. With `ack`, every command
   * is acknowledged before it runs, so a shell that dies before that is known not to have run it.
   */
  static async start(channel: ShellChannel, ack = false): Promise<RemoteShell> {
    const shell = new RemoteShell(channel, ack);
    // Whatever the login shell printed before (a noisy rc file) is swallowed by this first exchange. `$$` is the
    // shell's pid; sshd made it a session and process group leader, so it is the group of every command it runs.
    const hello = await shell.run('echo $$', undefined, false);
    const pid = /(\d+)\s*$/.exec(hello.stdout.toString())?.[1];
    if (hello.rc !== 0 || !pid) throw new ShellLostError(`the remote shell did not start (rc ${hello.rc})`);
    shell.processGroup = Number(pid);
    return shell;
  }

  /** The remote process group of this shell and its commands (for Ctrl-C from another channel). */
  processGroup = 0;

  get usable(): boolean {
    return this.alive && !this.pending;
  }

  /** Runs one command line; rejects with {@link ShellLostError} if the shell dies first. */
  run(line: string, stdin?: string | Buffer, ack = this.ack): Promise<ShellResult> {
    if (!this.usable) return Promise.reject(new ShellLostError('the remote shell is busy or gone', false));
    const mark = `__phoenix_${randomBytes(12).toString('hex')}_`;
    return new Promise<ShellResult>((resolve, reject) => {
      const pending = new PendingCommand(mark, (result) => {
        this.pending = undefined;
        this.rejectLost = undefined;
        resolve(result);
      }, ack);
      this.pending = pending;
      this.rejectLost = (error) => reject(new ShellLostError(error.message, pending.started));
      this.channel.write((ack ? `printf '%s' ${startAck(mark)}; ` : '') + shellRequest(line, mark, stdin));
    });
  }

  /** Ends the shell now (a command that ran too long, or Ctrl-C): it is not used again. */
  kill(signal = 'KILL'): void {
    try {
      this.channel.signal(signal);
    } catch {
      // no signal support on the server: closing the channel is enough for our side
    }
    this.channel.close();
    this.die();
  }

  /** Ends the shell politely when the connection is done with it. */
  end(): void {
    this.alive = false;
    this.channel.end();
  }

  private die(): void {
    this.alive = false;
    const reject = this.rejectLost;
    this.pending = undefined;
    this.rejectLost = undefined;
    reject?.(new ShellLostError('the remote shell ended while a command ran (connection dropped?)'));
  }
}

/** What an acknowledging shell prints on stdout before it runs a command. */
function startAck(mark: string): string {
  return `${mark}S`;
}

/** The text written to the shell for one command: run it, then print the marks with its exit status. */
export function shellRequest(line: string, mark: string, stdin?: string | Buffer): string {
  const input = stdin === undefined || stdin.length === 0 ? '' : Buffer.from(stdin).toString('base64');
  const source = input === '' ? ' </dev/null' : '';
  const feed = input === '' ? '' : `printf '%s' ${input} | base64 -d | `;
  return `${feed}( eval ${quote(line)} )${source}; printf '%s%d\\n' ${mark} "$?"; printf '%s\\n' ${mark} >&2\n`;
}
