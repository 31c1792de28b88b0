import { LocalConnection } from '../connection/local.js';
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
 * One connection per host for the whole run, opened on first use. Local hosts are child processes; ssh and pct
 * come from the connection pool, loaded only when a run needs them (node-ssh costs start-up time).
 */
export function createConnector(inventory: InventoryView, options: ConnectorOptions): Connector {
  const open = new Map<string, Promise<Connection>>();
  let pool: { get(host: string): Promise<Connection>; closeAll(): Promise<void> } | undefined;
  const remote = async (host: string): Promise<Connection> => {
    if (!pool) {
      const { ConnectionPool } = await import('../connection/pool.js');
      pool = new ConnectionPool({ hostVars: (h: string) => inventory.vars(h), policy: options.hostKeyChecking as never }) as never;
    }
    return pool!.get(host);
  };
  return {
    connect(host) {
      let conn = open.get(host);
      if (!conn) {
        const vars = inventory.vars(host);
        const kind = String(vars.ansible_connection ?? 'ssh');
        conn = kind === 'local' ? Promise.resolve(new LocalConnection(host)) : remote(host);
        conn.catch(() => undefined);
        open.set(host, conn);
      }
      return conn.catch((error) => {
        if (error instanceof UnreachableError) throw error;
        throw new UnreachableError(host, String((error as Error).message ?? error));
      });
    },
    async closeAll() {
      await Promise.allSettled([...open.values()].map(async (c) => (await c).close()));
      await pool?.closeAll();
    },
  };
}
