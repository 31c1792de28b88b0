import { spawn } from 'node:child_process';
import { chmod, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { shellCommand } from './quote.js';
import { CommandTimeoutError, type CommandResult, type Connection, type PutOptions, type RunOptions } from './types.js';

/** Runs commands as child processes on the controller (`ansible_connection: local`). */
export class LocalConnection implements Connection {
  constructor(readonly host: string) {}

  run(command: string, options: RunOptions = {}): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', command], {
        env: { ...process.env, ...options.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timer: NodeJS.Timeout | undefined;
      if (options.timeoutMs) {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new CommandTimeoutError(command, options.timeoutMs!));
        }, options.timeoutMs);
      }
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.on('error', (e) => {
        if (timer) clearTimeout(timer);
        reject(e);
      });
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        resolve({
          rc: code ?? (signal ? 128 + 9 : 1),
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
      throw error;
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
