import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'node:net';
import { HostKeyError } from '../known-hosts.js';
import { CommandTimeoutError, UnreachableError, type ShellTarget } from '../types.js';
import type { HeldShells } from '../ssh.js';

/**
 * The SSH keeper: a background phoenix process that holds SSH connections open between runs (what OpenSSH's
 * ControlPersist does for ansible), so a run reuses a logged-in connection instead of a new handshake per host.
 * A run that finds no keeper connects on its own and starts one for the runs after it.
 * Runs talk to it over a Unix socket in a directory only their user can enter, one JSON object per line.
 */

/** How long the keeper keeps connections when no run uses them (ansible's ControlPersist=60s). */
export const DEFAULT_PERSIST_MS = 60_000;

/** A connection a run made on its own, for a keeper it starts to open at once (so the next run finds it). */
export interface WarmConnection {
  host: string;
  settings: unknown;
  timeouts: unknown;
  maxChannels?: number;
  /** What the run held open on it when it ended (its shells, SFTP): the keeper opens them again after logging in. */
  shells?: HeldShells;
}

export type KeeperRequest =
  | { id: number; op: 'open'; host: string; settings: unknown; timeouts: unknown; maxChannels?: number }
  | { id: number; op: 'run'; conn: string; command: string; stdin?: string; timeoutMs?: number;
    env?: Record<string, string>; become?: boolean; viaShell?: ShellTarget }
  | { id: number; op: 'put'; conn: string; content: string; path: string; options: Record<string, unknown> }
  | { id: number; op: 'get'; conn: string; path: string; become?: boolean }
  | { id: number; op: 'stat'; conn: string; path: string; follow?: boolean; become?: boolean }
  | { id: number; op: 'names'; conn: string }
  | { id: number; op: 'reconnect'; conn: string; timeoutMs?: number; intervalMs?: number }
  | { id: number; op: 'release'; conn: string }
  | { id: number; op: 'abort'; target: number };

export interface KeeperReply {
  id: number;
  value?: unknown;
  error?: WireError;
}

/** An error as it crosses the socket; {@link errorFromWire} rebuilds the class the executor looks for. */
export interface WireError {
  name: string;
  message: string;
  host?: string;
  command?: string;
  timeoutMs?: number;
  verdict?: string;
  offered?: string;
  expected?: string[];
}

export function errorToWire(error: unknown): WireError {
  const e = error as Error & Partial<WireError>;
  return {
    name: e instanceof HostKeyError ? 'HostKeyError' : e instanceof UnreachableError ? 'UnreachableError'
      : e instanceof CommandTimeoutError ? 'CommandTimeoutError' : 'Error',
    message: String(e?.message ?? error),
    host: e.host, command: e.command, timeoutMs: e.timeoutMs, verdict: e.verdict, offered: e.offered,
    expected: e.expected,
  };
}

export function errorFromWire(wire: WireError): Error {
  if (wire.name === 'HostKeyError') {
    return new HostKeyError(wire.host ?? '', wire.message, wire.verdict as never, wire.offered ?? '', wire.expected);
  }
  if (wire.name === 'UnreachableError') return new UnreachableError(wire.host ?? '', wire.message);
  if (wire.name === 'CommandTimeoutError') return new CommandTimeoutError(wire.command ?? '', wire.timeoutMs ?? 0);
  return new Error(wire.message);
}

/**
 * Writes lines to `socket`, those of one turn of the event loop in one write: a no-op run sends ~1200 requests and
 * replies over the keeper's socket, and a write (a syscall and a wake-up of the other side) each cost half a
 * millisecond of CPU. The lines leave once the current callbacks (all the replies of one read, the requests they
 * start) are done: setImmediate, after this turn's I/O.
 */
export function lineWriter(socket: Socket): (line: string) => void {
  let corked = false;
  return (line) => {
    if (!corked) {
      corked = true;
      socket.cork();
      setImmediate(() => {
        corked = false;
        socket.uncork();
      });
    }
    socket.write(`${line}\n`);
  };
}

/** Calls `onLine` for every complete line that arrives on `socket`. */
export function readLines(socket: Socket, onLine: (line: string) => void): void {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let end: number;
    while ((end = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      if (line) onLine(line);
    }
  });
}

/**
 * The keeper's socket: `$XDG_RUNTIME_DIR` (else the temp dir) / `phoenix-<uid>` / `ssh-keeper-<build>.sock`. The
 * build part changes with the phoenix code that runs, so a rebuilt phoenix never talks to an older keeper.
 * Returns undefined when the directory is not private to this user (then runs connect on their own).
 */
export function keeperSocketPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const uid = process.getuid?.() ?? 0;
  const base = env.XDG_RUNTIME_DIR && env.XDG_RUNTIME_DIR.startsWith('/') ? env.XDG_RUNTIME_DIR : tmpdir();
  const dir = join(base, `phoenix-${uid}`);
  try {
    mkdirSync(dir, { mode: 0o700, recursive: true });
    const info = lstatSync(dir);
    if (!info.isDirectory() || info.uid !== uid || (info.mode & 0o077) !== 0) return undefined;
  } catch {
    return undefined;
  }
  return join(dir, `ssh-keeper-${buildId()}.sock`);
}

function buildId(): string {
  const code = fileURLToPath(import.meta.url);
  const info = statSync(code);
  return createHash('sha256').update(`${process.version}\0${code}\0${info.size}\0${info.mtimeMs}`).digest('hex').slice(0, 16);
}

/** `PHOENIX_SSH_PERSIST`: seconds to keep connections after a run; 0 turns the keeper off. */
export function persistMsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PHOENIX_SSH_PERSIST;
  if (raw === undefined || raw === '') return DEFAULT_PERSIST_MS;
  const seconds = Number(raw);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
}
