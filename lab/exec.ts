import { spawn } from 'node:child_process';

/** What a lab helper command produced. */
export interface Exec {
  rc: number;
  stdout: string;
  stderr: string;
}

/** Runs a program (no shell) and collects its output; never throws for a non-zero exit. */
export function exec(file: string, args: string[], input?: string, env?: NodeJS.ProcessEnv): Promise<Exec> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(env ? { env } : {}) });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolvePromise({
        rc: code ?? (signal ? 128 + 9 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/** Like {@link exec}, but a non-zero exit is an error naming the command and its stderr. */
export async function must(file: string, args: string[], input?: string): Promise<string> {
  const r = await exec(file, args, input);
  if (r.rc !== 0) {
    throw new Error(`lab: ${[file, ...args].join(' ')} exited ${r.rc}: ${(r.stderr || r.stdout).trim()}`);
  }
  return r.stdout;
}
