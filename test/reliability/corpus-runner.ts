import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../../interpreter/cli.js';

/** What a corpus case must produce (`expect.json`). */
export interface CorpusExpectation {
  /** argv after `phoenix`, run in a copy of the case's folder. */
  args: string[];
  exit: number;
  /** Every `[E_CODE]` printed, in order (errors on stderr, failed hosts' messages on stdout). */
  codes: string[];
  /** Every `--> file:line:column` (relative to the case folder) or `--> $.json.path`, in order. */
  positions: string[];
}

/** What one run printed and returned. */
export interface CorpusOutcome {
  exit: number;
  codes: string[];
  positions: string[];
  stdout: string;
  stderr: string;
}

export const CORPUS_DIR = resolve('test/reliability/corpus');

/** The placeholder every case's files use for the port of the {@link ConnectionCounter}. */
export const PORT_PLACEHOLDER = '__PORT__';

export function corpusCases(): string[] {
  return readdirSync(CORPUS_DIR).filter((name) => statSync(join(CORPUS_DIR, name)).isDirectory()).sort();
}

export function readExpectation(name: string): CorpusExpectation {
  return JSON.parse(readFileSync(join(CORPUS_DIR, name, 'expect.json'), 'utf8')) as CorpusExpectation;
}

/**
 * A TCP listener on 127.0.0.1 standing in for every host's sshd: it counts connection attempts and hangs up at once,
 * so a run that reached for a host is caught (and fails fast as unreachable instead of waiting).
 */
export class ConnectionCounter {
  attempts = 0;
  private server?: Server;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((socket: Socket) => {
      this.attempts++;
      socket.destroy();
    });
    await new Promise<void>((done) => this.server!.listen(0, '127.0.0.1', done));
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((done) => (this.server ? this.server.close(() => done()) : done()));
  }
}

/**
 * Copies a case folder to a fresh temp folder with the placeholder port filled in, runs `main` there with captured
 * output, and collects the codes and positions it printed.
 */
export async function runCorpusCase(name: string, args: string[], port: number): Promise<CorpusOutcome> {
  const work = mkdtempSync(join(tmpdir(), 'phoenix-corpus-'));
  cpSync(join(CORPUS_DIR, name), work, { recursive: true });
  fillPort(work, port);
  const cwd = process.cwd();
  let stdout = '';
  let stderr = '';
  process.chdir(work);
  try {
    const exit = await main(args, {
      stdout: { write: (s: string) => { stdout += s; } },
      stderr: { write: (s: string) => { stderr += s; } },
    });
    const all = `${stderr}\n${stdout}`;
    const codes = [...all.matchAll(/\[(E_[A-Z0-9_]+)\]/g)].map((m) => m[1]);
    const positions = [...all.matchAll(/--> ([^\s"\\]+)/g)].map((m) => m[1].split(`${work}/`).join(''));
    return { exit, codes, positions, stdout, stderr };
  } finally {
    process.chdir(cwd);
    rmSync(work, { recursive: true, force: true });
  }
}

function fillPort(dir: string, port: number): void {
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
    const text = readFileSync(path, 'utf8');
    if (text.includes(PORT_PLACEHOLDER)) writeFileSync(path, text.split(PORT_PLACEHOLDER).join(String(port)));
  }
}
