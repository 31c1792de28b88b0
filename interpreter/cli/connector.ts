import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import { LocalConnection } from '../connection/local.js';
import type { KeeperOptions } from '../connection/keeper/client.js';
import { countingConnection, newCounts, writeCounts } from '../connection/op-count.js';
import { UnreachableError, type Connection } from '../connection/types.js';
import type { InventoryView } from '../executor/options.js';

export interface Connector {
  connect(host: string): Promise<Connection>;
  closeAll(): Promise<void>;
}

export interface ConnectorOptions {
  hostKeyChecking?: string;
}

/**
 * SSH connections outlive the run in the keeper process unless `PHOENIX_SSH_PERSIST=0` (or its socket directory is
 * not private): the next run within the persist time skips every handshake.
 */
async function keeperOptions(): Promise<KeeperOptions | undefined> {
  const { keeperSocketPath, persistMsFromEnv } = await import('../connection/keeper/protocol.js');
  const persistMs = persistMsFromEnv();
  const socketPath = persistMs > 0 ? keeperSocketPath() : undefined;
  const root = packageRoot(import.meta.url);
  const entry = root ? join(root, 'bin', 'phoenix.js') : undefined;
  if (!socketPath || !entry) return undefined;
  const { spawnKeeper } = await import('../connection/keeper/client.js');
  return { socketPath, persistMs, start: () => spawnKeeper(entry, socketPath, persistMs) };
}

/**
 * One connection per host for the whole run, opened on first use. Local hosts are child processes; ssh and pct
 * come from the connection pool, loaded only when a run needs them (node-ssh costs start-up time).
 */
export function createConnector(inventory: InventoryView, options: ConnectorOptions): Connector {
  const open = new Map<string, Promise<Connection>>();
  const opLog = process.env.PHOENIX_OP_LOG;
  const counts = newCounts();
  type Pool = { get(host: string): Promise<Connection>; closeAll(): Promise<void> };
  // One pool for the run, created once even when the first hosts ask for it at the same moment.
  let pool: Promise<Pool> | undefined;
  const remote = async (host: string): Promise<Connection> => {
    pool ??= (async () => {
      const { ConnectionPool } = await import('../connection/pool.js');
      return new ConnectionPool({
        hostVars: (h: string) => inventory.vars(h), policy: options.hostKeyChecking as never,
        keeper: await keeperOptions(),
      });
    })();
    return (await pool).get(host);
  };
  return {
    connect(host) {
      let conn = open.get(host);
      if (!conn) {
        const vars = inventory.vars(host);
        const kind = String(vars.ansible_connection ?? 'ssh');
        conn = kind === 'local' ? Promise.resolve(new LocalConnection(host)) : remote(host);
        if (opLog) conn = conn.then((c) => countingConnection(c, counts));
        conn.catch(() => undefined);
        open.set(host, conn);
      }
      return conn.catch((error) => {
        if (error instanceof UnreachableError) throw error;
        throw new UnreachableError(host, String((error as Error).message ?? error));
      });
    },
    async closeAll() {
      // The pool first: it notes what its connections still hold open (for a keeper it starts) before closing them.
      await (await pool)?.closeAll();
      await Promise.allSettled([...open.values()].map(async (c) => (await c).close()));
      writeCounts(opLog, counts);
    },
  };
}
