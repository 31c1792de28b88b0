import { appendFileSync } from 'node:fs';
import type { Connection } from './types.js';

/** Remote operations of one run, by kind: what bench/ reports as operations per task per host. */
export type OpCounts = Record<'command' | 'read' | 'write' | 'stat', number>;

/**
 * Counts what a connection is asked to do (a command, a file read or write, an SFTP stat), for bench/: the
 * operations cannot all be seen from the server, since commands run inside one long-lived remote shell. Only kinds
 * are counted, never what the command or path was.
 */
export function countingConnection(conn: Connection, counts: OpCounts): Connection {
  const counted: Connection = {
    host: conn.host,
    base: conn.base ?? conn,
    run: (command, options) => (counts.command++, conn.run(command, options)),
    put: (content, path, options) => (counts.write++, conn.put(content, path, options)),
    get: (path) => (counts.read++, conn.get(path)),
    close: () => conn.close(),
  };
  if (conn.statPath) counted.statPath = (path, options) => (counts.stat++, conn.statPath!(path, options));
  if (conn.idNames) counted.idNames = () => conn.idNames!();
  if ('reconnect' in conn) {
    (counted as unknown as { reconnect: unknown }).reconnect = (...args: unknown[]) =>
      (conn as unknown as { reconnect(...a: unknown[]): Promise<void> }).reconnect(...args);
  }
  return counted;
}

export function newCounts(): OpCounts {
  return { command: 0, read: 0, write: 0, stat: 0 };
}

/** `PHOENIX_OP_LOG=FILE`: one JSON line with the run's counts is appended to FILE when the run ends. */
export function writeCounts(file: string | undefined, counts: OpCounts): void {
  if (file) appendFileSync(file, `${JSON.stringify(counts)}\n`);
}
