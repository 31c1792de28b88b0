/**
 * Ending a command early: the race of its result, its time limit and the run's Ctrl-C, the result an interrupted
 * command gives, killing its channel, and Ctrl-C for the process group of a command in a remote shell.
 */
import { shellCommand } from './quote.js';
import type { ShellChannel } from './remote-shell.js';
import type { Client } from './ssh-connect.js';
import type { RawResult } from './ssh-exec.js';

type Channel = ShellChannel;

/**
 * Settles a command's promise once, whichever comes first: its result, its time limit or the run's Ctrl-C. `arm`
 * starts the time limit and listens for the signal once the command is under way; `finish` clears both.
 */
export function commandOutcome(signal: AbortSignal | undefined, cleanup?: () => void): {
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

export function interrupted(): RawResult {
  return { rc: 130, stdout: Buffer.alloc(0), stderr: Buffer.from('phoenix: interrupted\n') };
}

export function killChannel(channel: Channel): void {
  try {
    channel.signal('KILL');
  } catch {
    // the server may not support signals; closing the channel is enough for us
  }
  channel.close();
}

/** SIGINT to a process group, SIGKILL a second later: the script `interruptGroup` runs (on the host, or in a container). */
export function groupKillScript(group: number): string {
  // No `--`: dash's kill builtin refuses it; `-N` after the signal is a process group in dash, bash and procps.
  return `${shellCommand('kill', '-INT', `-${group}`)} 2>/dev/null; sleep 1; ` +
    `${shellCommand('kill', '-KILL', `-${group}`)} 2>/dev/null; exit 0`;
}

/**
 * Ctrl-C for a command in a remote shell. The signal request on the shell's channel is not enough: when the run
 * then ends and the connection closes, sshd leaves a command without a terminal running. So SIGINT also goes to
 * the shell's whole process group from a channel of its own (sudo passes it on to what it runs), SIGKILL a second
 * later. Returns once that command has started (`close` waits for it, at most 2 s); undefined: no group.
 */
export function interruptGroup(client: Client, group: number, line = groupKillScript(group)): Promise<void> | undefined {
  if (!(group > 1)) return undefined;
  const kill = line;
  return new Promise<void>((resolve) => {
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
}
