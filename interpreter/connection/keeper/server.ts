import { createHash } from 'node:crypto';
import { appendFileSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { SshConnection, type SshSettings, type SshTimeouts } from '../ssh.js';
import { errorToWire, lineWriter, readLines, type KeeperReply, type KeeperRequest, type WarmConnection } from './protocol.js';

/** One kept connection: shared by every run that opens the same host with the same settings. */
interface Kept {
  key: string;
  conn: SshConnection;
  ready: Promise<void>;
  users: number;
  lastUsed: number;
}

/** What one run (one socket) holds: the connections it opened and the commands it has in flight. */
interface Session {
  opened: Map<string, number>;
  running: Map<number, AbortController>;
}

/**
 * The keeper process (`phoenix __ssh-keeper SOCKET PERSIST_MS`): serves runs on `socketPath` and ends when no run
 * has used it for `persistMs`, closing its connections. A second keeper started for the same socket (two runs
 * raced to start one) finds it answered and leaves.
 */
export async function runKeeper(socketPath: string, persistMs: number, warm: WarmConnection[] = []): Promise<void> {
  const kept = new Map<string, Kept>();
  let clients = 0;
  let lastActivity = Date.now();
  const server = createServer((socket) => {
    clients++;
    const session: Session = { opened: new Map(), running: new Map() };
    const send = lineWriter(socket);
    readLines(socket, (line) => {
      lastActivity = Date.now();
      void handle(JSON.parse(line) as KeeperRequest, session, kept).then((reply) => {
        if (!socket.destroyed) send(JSON.stringify(reply));
      });
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clients--;
      lastActivity = Date.now();
      endSession(session, kept);
    });
  });
  if (!(await listen(server, socketPath))) return;
  // The run that started us connected on its own: open its connections now, and the shells it held, for the run
  // after it (a container's shell is a `pct exec` on the node: a Perl start-up on Proxmox).
  for (const w of warm) {
    const entry = ensureKept(kept, w);
    entry.ready.then(() => (w.shells ? entry.conn.prepare(w.shells) : undefined)).catch(() => undefined);
  }
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = Date.now();
      for (const [key, entry] of kept) {
        if (entry.users === 0 && now - entry.lastUsed > persistMs) {
          kept.delete(key);
          void entry.conn.close();
        }
      }
      if (clients === 0 && now - lastActivity > persistMs) {
        clearInterval(timer);
        server.close();
        for (const entry of kept.values()) void entry.conn.close();
        resolve();
      }
    }, Math.min(1000, persistMs));
  });
}

async function handle(request: KeeperRequest, session: Session, kept: Map<string, Kept>): Promise<KeeperReply> {
  try {
    return { id: request.id, value: await perform(request, session, kept) };
  } catch (error) {
    return { id: request.id, error: errorToWire(error) };
  }
}

async function perform(request: KeeperRequest, session: Session, kept: Map<string, Kept>): Promise<unknown> {
  if (request.op === 'abort') {
    session.running.get(request.target)?.abort();
    return null;
  }
  if (request.op === 'open') return open(request, session, kept);
  const entry = kept.get(request.conn);
  if (!entry) throw new Error(`the SSH keeper has no connection ${request.conn}`);
  entry.lastUsed = Date.now();
  const { conn } = entry;
  switch (request.op) {
    case 'run': {
      const controller = new AbortController();
      session.running.set(request.id, controller);
      try {
        const stdin = request.stdin === undefined ? undefined : Buffer.from(request.stdin, 'base64');
        return await conn.run(request.command, {
          stdin, timeoutMs: request.timeoutMs, env: request.env, become: request.become, viaShell: request.viaShell, signal: controller.signal,
        });
      } finally {
        session.running.delete(request.id);
      }
    }
    case 'put':
      await conn.put(Buffer.from(request.content, 'base64'), request.path, request.options);
      return null;
    case 'get': {
      const data = await conn.get(request.path, { become: request.become });
      return data === null ? null : data.toString('base64');
    }
    case 'stat': {
      // JSON has no undefined: "cannot answer" travels as a word, null (no such path) as itself.
      const stat = await conn.statPath(request.path, { follow: request.follow, become: request.become });
      return stat === undefined ? 'unavailable' : stat;
    }
    case 'names':
      // Read again for every run: users added since an earlier run must not be missed.
      return (await conn.idNames(true)) ?? null;
    case 'reconnect':
      await conn.reconnect(request.timeoutMs, request.intervalMs);
      return null;
    case 'release':
      release(session, kept, request.conn);
      return null;
  }
}

/** The kept connection for these settings, dialled if there is none (failed dials are forgotten). */
function ensureKept(kept: Map<string, Kept>, w: WarmConnection): Kept {
  const key = createHash('sha256')
    .update(JSON.stringify([w.host, w.settings, w.timeouts, w.maxChannels ?? null]))
    .digest('hex');
  const existing = kept.get(key);
  if (existing) return existing;
  const conn = new SshConnection(w.host, w.settings as SshSettings, w.timeouts as SshTimeouts, w.maxChannels);
  const created: Kept = { key, conn, ready: conn.connect(), users: 0, lastUsed: Date.now() };
  kept.set(key, created);
  created.ready.catch(() => {
    if (kept.get(key) === created) kept.delete(key);
  });
  return created;
}

/** Finds or dials the connection for these settings; concurrent opens of one share one handshake. */
async function open(request: Extract<KeeperRequest, { op: 'open' }>, session: Session,
  kept: Map<string, Kept>): Promise<string> {
  const entry = ensureKept(kept, request);
  const { key } = entry;
  entry.users++;
  session.opened.set(key, (session.opened.get(key) ?? 0) + 1);
  try {
    await entry.ready;
  } catch (error) {
    release(session, kept, key);
    throw error;
  }
  return key;
}

function release(session: Session, kept: Map<string, Kept>, key: string): void {
  const count = session.opened.get(key) ?? 0;
  if (count === 0) return;
  if (count === 1) session.opened.delete(key);
  else session.opened.set(key, count - 1);
  const entry = kept.get(key);
  if (entry) {
    entry.users = Math.max(0, entry.users - 1);
    entry.lastUsed = Date.now();
  }
}

/** A run went away (finished, or killed): its commands still running are interrupted, its connections released. */
function endSession(session: Session, kept: Map<string, Kept>): void {
  for (const controller of session.running.values()) controller.abort();
  for (const [key, count] of [...session.opened]) for (let i = 0; i < count; i++) release(session, kept, key);
}

/** Listens on the socket; a stale socket file (its keeper died) is replaced, a live one means we are not needed. */
async function listen(server: Server, socketPath: string): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      server.once('error', resolve);
      server.listen(socketPath, () => resolve(undefined));
    });
    if (!error) return true;
    if (error.code !== 'EADDRINUSE' || (await answers(socketPath))) return false;
    try {
      unlinkSync(socketPath);
    } catch {
      // another keeper removed it first
    }
  }
  return false;
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe: Socket = connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/** The keeper has no terminal: what goes wrong in it is written next to its socket. */
export function logKeeperFailure(socketPath: string, error: unknown): void {
  try {
    appendFileSync(`${socketPath}.log`, `${new Date().toISOString()} ${(error as Error)?.stack ?? String(error)}\n`,
      { mode: 0o600 });
  } catch {
    // nowhere to write: the runs fall back to their own connections
  }
}
