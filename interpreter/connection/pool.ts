import { existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { PhoenixError } from '../errors.js';
import { LocalConnection } from './local.js';
import { PctConnection } from './pct.js';
import { parseJumpHop, resolveSshConfig, type SshConfigResult } from './ssh-config.js';
import type { HostKeyPolicy } from './known-hosts.js';
import type { SshConnection, SshEndpoint, SshSettings, SshTimeouts } from './ssh.js';
import type { Connection } from './types.js';
import type { KeeperClient, KeeperHandOver, KeeperOptions } from './keeper/client.js';
import type { WarmConnection } from './keeper/protocol.js';

/** Host variables as the inventory/variable layer resolved them. */
export type HostVars = Record<string, unknown>;

export interface PoolOptions {
  hostVars: (host: string) => HostVars;
  /** Host key policy unless a host sets `phoenix_host_key_checking`; default: ssh_config's, else `strict`. */
  policy?: HostKeyPolicy;
  timeouts?: Partial<SshTimeouts>;
  /** Home directory for `~/.ssh/config`, `~/.ssh/known_hosts` and default keys (default: $HOME). */
  home?: string;
  /** ssh_config file (default `<home>/.ssh/config`). */
  sshConfigFile?: string;
  /** Environment for `SSH_AUTH_SOCK` (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Most channels open at once per SSH connection (default 8, under OpenSSH's MaxSessions 10). */
  maxChannels?: number;
  /** Keep SSH connections in the keeper process between runs (the CLI sets this; see keeper/protocol.ts). */
  keeper?: KeeperOptions;
}

/** One connection per host for the whole run, created on first use; containers share their node's connection. */
export class ConnectionPool {
  private readonly connections = new Map<string, Promise<Connection>>();
  private keeperClient?: Promise<KeeperClient | undefined>;
  /** SSH connections this run made itself (no keeper answered): a keeper started at the end opens them again. */
  private readonly direct: Array<{ warm: WarmConnection; connection: SshConnection }> = [];
  /** The keeper this run started (none answered): it opens {@link direct} when this run ends. */
  private handOver?: KeeperHandOver;

  constructor(private readonly options: PoolOptions) {}

  /** The host's connection, connected; throws UnreachableError (or PhoenixError for bad connection vars). */
  get(host: string): Promise<Connection> {
    let pending = this.connections.get(host);
    if (!pending) {
      pending = this.create(host);
      this.connections.set(host, pending);
      // A failed connect is forgotten so a later get (e.g. after a reboot) tries again.
      pending.catch(() => {
        if (this.connections.get(host) === pending) this.connections.delete(host);
      });
    }
    return pending;
  }

  /** Closes every connection, containers first, then nodes. */
  async closeAll(): Promise<void> {
    const all = await Promise.allSettled([...this.connections.values()]);
    const warm = this.direct.splice(0).map((d) => ({ ...d.warm, shells: d.connection.heldShells() }));
    this.connections.clear();
    const open = all.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const order = [...open.filter((c) => c instanceof PctConnection), ...open.filter((c) => !(c instanceof PctConnection))];
    await Promise.allSettled(order.map((c) => c.close()));
    (await this.keeperClient)?.end();
    this.keeperClient = undefined;
    this.handOver?.(warm.length > 0 ? warm : undefined);
    this.handOver = undefined;
  }

  private async create(host: string): Promise<Connection> {
    const vars = this.options.hostVars(host);
    const kind = String(vars.ansible_connection ?? 'ssh');
    if (kind === 'local') return new LocalConnection(host);
    if (kind === 'pct' || kind === 'community.general.proxmox_pct_remote') return this.createPct(host, vars);
    if (kind === 'ssh' || kind === 'paramiko' || kind === 'smart') {
      const { SshConnection, DEFAULT_SSH_TIMEOUTS } = await import('./ssh.js');
      const timeouts = { ...DEFAULT_SSH_TIMEOUTS, ...this.options.timeouts };
      const settings = sshSettingsFor(host, vars, this.options);
      const limits = { ...timeouts, connectMs: seconds(vars.ansible_ssh_timeout ?? vars.ansible_timeout) ?? timeouts.connectMs };
      const { maxChannels } = this.options;
      const keeper = await this.keeper();
      if (keeper) {
        const { KeptConnection } = await import('./keeper/client.js');
        return KeptConnection.open(keeper, host, settings, limits, maxChannels);
      }
      // No keeper answered: start one now (it loads while this run works) and connect on our own.
      if (this.options.keeper) this.handOver ??= this.options.keeper.start();
      const connection = new SshConnection(host, settings, limits, maxChannels);
      await connection.connect();
      if (this.options.keeper) this.direct.push({ warm: { host, settings, timeouts: limits, maxChannels }, connection });
      return connection;
    }
    throw new PhoenixError('CONNECTION_UNKNOWN', `${host}: unknown ansible_connection '${kind}' ` +
      '(phoenix knows local, ssh and pct)', { host }, 1);
  }

  /** The keeper, reached once per pool; undefined when off or none answers (connect directly, start one at the end). */
  private keeper(): Promise<KeeperClient | undefined> {
    const options = this.options.keeper;
    if (!options) return Promise.resolve(undefined);
    this.keeperClient ??= import('./keeper/client.js').then((m) => m.KeeperClient.open(options));
    return this.keeperClient;
  }

  private async createPct(host: string, vars: HostVars): Promise<Connection> {
    const nodeName = vars.proxmox_node;
    const vmid = vars.proxmox_vmid;
    if (typeof nodeName !== 'string' || nodeName === '') {
      throw new PhoenixError('CONNECTION_PCT_NODE', `${host}: ansible_connection pct needs proxmox_node ` +
        '(the inventory name of the Proxmox node that runs this container)', { host }, 1);
    }
    if (!/^\d+$/.test(String(vmid ?? ''))) {
      throw new PhoenixError('CONNECTION_PCT_VMID', `${host}: ansible_connection pct needs a numeric proxmox_vmid`,
        { host }, 1);
    }
    if (nodeName === host) {
      throw new PhoenixError('CONNECTION_PCT_NODE', `${host}: proxmox_node names the container itself`, { host }, 1);
    }
    const node = await this.get(nodeName);
    const pct = typeof vars.phoenix_pct_command === 'string' ? vars.phoenix_pct_command : undefined;
    return new PctConnection(host, { node, nodeName, vmid: String(vmid), pct });
  }
}

function seconds(value: unknown): number | undefined {
  const n = Number(value);
  return value !== undefined && value !== null && Number.isFinite(n) && n > 0 ? n * 1000 : undefined;
}

function str(value: unknown): string | undefined {
  return value === undefined || value === null || value === '' ? undefined : String(value);
}

/** Inventory variables first, then ~/.ssh/config, then OpenSSH's defaults (what `ssh <ansible_host>` would do). */
export function sshSettingsFor(host: string, vars: HostVars, options: Omit<PoolOptions, 'hostVars'> = {}): SshSettings {
  const home = options.home ?? process.env.HOME ?? homedir();
  const env = options.env ?? process.env;
  const target = str(vars.ansible_host) ?? host;
  const config = resolveSshConfig(target, { file: options.sshConfigFile, home });
  const explicitKey = str(vars.ansible_ssh_private_key_file ?? vars.ansible_private_key_file);
  const endpoint = endpointFrom(host, target, config, {
    user: str(vars.ansible_user ?? vars.ansible_ssh_user),
    port: str(vars.ansible_port ?? vars.ansible_ssh_port),
    key: explicitKey ? expandHome(explicitKey, home) : undefined,
    password: str(vars.ansible_password ?? vars.ansible_ssh_pass),
  }, home, env);
  endpoint.knownHostsFile = str(vars.phoenix_known_hosts_file) ?? endpoint.knownHostsFile;
  endpoint.policy = policyFor(vars, options.policy, config);
  const method = str(vars.ansible_become_method) ?? 'sudo';
  if (method !== 'sudo') {
    throw new PhoenixError('CONNECTION_BECOME_METHOD', `${host}: ansible_become_method '${method}' is not supported ` +
      '(phoenix uses sudo)', { host }, 1);
  }
  const jumps = (jumpsFromArgs(vars.ansible_ssh_common_args) ?? config.proxyJump ?? []).map((hop) => {
    const { user, host: hopHost, port } = parseJumpHop(hop);
    const hopEndpoint = endpointFrom(hop, hopHost, resolveSshConfig(hopHost, { file: options.sshConfigFile, home }),
      { user, port: port ? String(port) : undefined }, home, env);
    return { ...hopEndpoint, knownHostsFile: endpoint.knownHostsFile, policy: endpoint.policy };
  });
  return {
    ...endpoint,
    jumps,
    become: {
      user: str(vars.ansible_become_user) ?? 'root',
      password: str(vars.ansible_become_password ?? vars.ansible_become_pass ?? vars.ansible_sudo_pass),
      byDefault: vars.ansible_become === true || vars.ansible_become === 'true',
    },
    persistentShell: !(vars.phoenix_ssh_persistent_shell === false || vars.phoenix_ssh_persistent_shell === 'false'),
    shellConnections: shellConnections(host, vars.phoenix_ssh_shell_connections),
  };
}

function endpointFrom(host: string, target: string, config: SshConfigResult,
  given: { user?: string; port?: string; key?: string; password?: string }, home: string,
  env: NodeJS.ProcessEnv): SshEndpoint {
  const configured = [...(given.key ? [given.key] : []), ...config.identityFiles];
  const defaults = ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((n) => join(home, '.ssh', n)).filter((f) => existsSync(f));
  return {
    host,
    address: config.hostName ?? target,
    port: Number(given.port ?? config.port ?? 22),
    user: given.user ?? config.user ?? userInfo().username,
    identityFiles: configured.length > 0 ? configured : defaults,
    requiredKeys: given.key ? [given.key] : [],
    agent: config.identitiesOnly ? undefined : str(env.SSH_AUTH_SOCK),
    password: given.password,
    knownHostsFile: config.userKnownHostsFile?.split(/\s+/)[0] ?? join(home, '.ssh', 'known_hosts'),
    policy: 'strict',
  };
}

function policyFor(vars: HostVars, pool: HostKeyPolicy | undefined, config: SshConfigResult): HostKeyPolicy {
  const own = str(vars.phoenix_host_key_checking);
  if (own === 'strict' || own === 'accept-new' || own === 'off') return own;
  if (own !== undefined) {
    throw new PhoenixError('CONNECTION_HOST_KEY_POLICY', `phoenix_host_key_checking must be strict, accept-new or ` +
      `off, not '${own}'`, {}, 1);
  }
  const ansible = vars.ansible_host_key_checking ?? vars.ansible_ssh_host_key_checking;
  if (ansible === false || ansible === 'false' || ansible === 'False') return 'off';
  if (pool) return pool;
  const fromConfig = config.strictHostKeyChecking;
  if (fromConfig === 'accept-new') return 'accept-new';
  if (fromConfig === 'no' || fromConfig === 'off') return 'off';
  return 'strict';
}

/** `-J hop` or `-o ProxyJump=hop` inside ansible_ssh_common_args. */
function jumpsFromArgs(args: unknown): string[] | undefined {
  if (typeof args !== 'string') return undefined;
  const match = /(?:-J\s*|ProxyJump[= ]\s*)([^\s'"]+)/i.exec(args);
  return match && match[1].toLowerCase() !== 'none' ? match[1].split(',') : undefined;
}

function expandHome(path: string, home: string): string {
  return path === '~' || path.startsWith('~/') ? join(home, path.slice(1)) : path;
}

/** `phoenix_ssh_shell_connections`: a whole number from 1 (unset: the default of ssh.ts). */
function shellConnections(host: string, value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new PhoenixError('CONNECTION_SHELL_CONNECTIONS', `${host}: phoenix_ssh_shell_connections must be a whole ` +
      `number of at least 1 (got ${JSON.stringify(value)}): the SSH connections that hold container shells`, { host }, 1);
  }
  return n;
}
