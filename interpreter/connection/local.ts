import { spawn } from 'node:child_process';
import { chmod, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:os';
import { trackTempFile } from './inflight.js';
import { shellCommand } from './quote.js';
import { CommandTimeoutError, type CommandResult, type Connection, type PutOptions, type RunOptions } from './types.js';

/** Runs commands as child processes on the controller (`ansible_connection: local`). */
export class LocalConnection implements Connection {
  constructor(readonly host: string) {}

  run(command: string, options: RunOptions = {}): Promise<CommandResult> {
    if (options.signal?.aborted) return Promise.resolve({ rc: 130, stdout: '', stderr: 'phoenix: interrupted, command not started\n' });
    return new Promise((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', command], {
        env: { ...process.env, ...options.env },
        stdio: ['pipe', 'pipe', 'pipe'],
        // Its own process group, so an interrupt or a timeout reaches what the shell started too (dash waits for
        // its child and ignores a SIGINT sent to it alone).
        detached: true,
      });
      const signalGroup = (name: NodeJS.Signals): void => {
        try {
          process.kill(-child.pid!, name);
        } catch {
          // already gone
        }
      };
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timer: NodeJS.Timeout | undefined;
      if (options.timeoutMs) {
        timer = setTimeout(() => {
          signalGroup('SIGKILL');
          reject(new CommandTimeoutError(command, options.timeoutMs!));
        }, options.timeoutMs);
      }
      // Ctrl-C (to phoenix, or to the terminal's group just before this spawn) must not leave a long installer
      // running while the run waits for it. `sh -c` catches a SIGINT that comes before it forks the command and only
      // acts on it when the command ends, so SIGTERM and then SIGKILL follow if the group is still there.
      const escalation: NodeJS.Timeout[] = [];
      const interrupt = (): void => {
        signalGroup('SIGINT');
        escalation.push(setTimeout(() => signalGroup('SIGTERM'), 1000), setTimeout(() => signalGroup('SIGKILL'), 6000));
      };
      options.signal?.addEventListener('abort', interrupt, { once: true });
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.on('error', (e) => {
        if (timer) clearTimeout(timer);
        reject(e);
      });
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', interrupt);
        escalation.forEach(clearTimeout);
        resolve({
          rc: code ?? (signal ? 128 + (constants.signals[signal] ?? 9) : 1),
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        });
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.stdin ?? '');
    });
  }

  async put(content: string | Buffer, remotePath: string, options: PutOptions = {}): Promise<void> {
    const temp = join(dirname(remotePath), `.${basename(remotePath)}.phoenix-${randomBytes(6).toString('hex')}`);
    const untrack = trackTempFile(temp);
    try {
      // Created with its final mode (no wider window), then set exactly: the umask must not decide (ssh and pct don't).
      await writeFile(temp, content, { mode: options.mode ?? 0o644 });
      await chmod(temp, options.mode ?? 0o644);
      if (options.owner || options.group) {
        const owner = `${options.owner ?? ''}${options.group ? `:${options.group}` : ''}`;
        const result = await this.run(shellCommand('chown', owner, temp));
        if (result.rc !== 0) throw new Error(`chown ${owner} failed: ${result.stderr.trim()}`);
      }
      await rename(temp, remotePath);
    } catch (error) {
      await rm(temp, { force: true });
      // The temp file's ENOENT names the temp: say which file could not be written and why.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new Error(`${this.host}: cannot write ${remotePath}: No such file (${dirname(remotePath)} does not exist)`);
      }
      throw error;
    } finally {
      untrack();
    }
  }

  async get(remotePath: string): Promise<Buffer | null> {
    try {
      return await readFile(remotePath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async close(): Promise<void> {}
}
