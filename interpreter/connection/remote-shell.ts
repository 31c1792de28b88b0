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

/** The shell died while a command ran (connection lost, or the shell was killed): the result is unknown. */
export class ShellLostError extends Error {}

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

  constructor(readonly mark: string, private readonly done: (result: ShellResult) => void) {
    this.outEnd = new RegExp(`${mark}(\\d+)\\n$`);
  }

  stdout(chunk: Buffer): void {
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

  private constructor(private readonly channel: ShellChannel) {
    channel.on('data', (d: Buffer) => this.pending?.stdout(d));
    channel.stderr.on('data', (d: Buffer) => this.pending?.stderr(d));
    channel.on('error', () => undefined);
    channel.on('close', () => this.die());
  }

  /** Starts the shell on `channel` (an exec of `exec /bin/sh`) and waits until it answers. */
  static async start(channel: ShellChannel): Promise<RemoteShell> {
    const shell = new RemoteShell(channel);
    // Whatever the login shell printed before (a noisy rc file) is swallowed by this first exchange. `$$` is the
    // shell's pid; sshd made it a session and process group leader, so it is the group of every command it runs.
    const hello = await shell.run('echo $$');
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
  run(line: string, stdin?: string | Buffer): Promise<ShellResult> {
    if (!this.usable) return Promise.reject(new ShellLostError('the remote shell is busy or gone'));
    const mark = `__phoenix_${randomBytes(12).toString('hex')}_`;
    return new Promise<ShellResult>((resolve, reject) => {
      this.pending = new PendingCommand(mark, (result) => {
        this.pending = undefined;
        this.rejectLost = undefined;
        resolve(result);
      });
      this.rejectLost = reject;
      this.channel.write(shellRequest(line, mark, stdin));
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

/** The text written to the shell for one command: run it, then print the marks with its exit status. */
export function shellRequest(line: string, mark: string, stdin?: string | Buffer): string {
  const input = stdin === undefined || stdin.length === 0 ? '' : Buffer.from(stdin).toString('base64');
  const source = input === '' ? ' </dev/null' : '';
  const feed = input === '' ? '' : `printf '%s' ${input} | base64 -d | `;
  return `${feed}( eval ${quote(line)} )${source}; printf '%s%d\\n' ${mark} "$?"; printf '%s\\n' ${mark} >&2\n`;
}
