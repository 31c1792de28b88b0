/**
 * Connecting over SSH: where a server is and how to log in (SshEndpoint), the time limits, the ssh2 client shape,
 * the handshake that checks the host key against known_hosts and logs in, ProxyJump forwarding, and the message
 * for a host that cannot be reached.
 */
import type { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import type { ShellChannel } from './remote-shell.js';
import type { Sftp } from './ssh-sftp.js';
import { UnreachableError } from './types.js';
import {
  addKnownHost, checkHostKey, hostKeyError, knownHostName, loadKnownHosts, preferredHostKeyAlgorithms,
  type HostKeyPolicy,
} from './known-hosts.js';

/** Where one SSH server is and how to log in; a ProxyJump hop is one of these too. */
export interface SshEndpoint {
  /** Inventory name (or the hop as written), for messages. */
  host: string;
  address: string;
  port: number;
  user: string;
  /** Private key files, tried in order. */
  identityFiles: string[];
  /** Key files the user named explicitly: a missing one is an error, not skipped. */
  requiredKeys?: string[];
  /** ssh-agent socket (`SSH_AUTH_SOCK`). */
  agent?: string;
  password?: string;
  knownHostsFile: string;
  policy: HostKeyPolicy;
}

/** Time limits; all in milliseconds. */
export interface SshTimeouts {
  connectMs: number;
  /** Default per-command limit when a run gives none; undefined = no limit. */
  commandMs?: number;
  keepaliveMs: number;
  keepaliveCountMax: number;
  /** How long {@link SshConnection.reconnect} waits for a host to come back. */
  reconnectMs: number;
}

export const DEFAULT_SSH_TIMEOUTS: SshTimeouts = {
  connectMs: 10_000, keepaliveMs: 15_000, keepaliveCountMax: 3, reconnectMs: 300_000,
};

// Minimal shape of the ssh2 client used here (@types/ssh2 is not installed).
type Channel = ShellChannel;
export interface Client extends EventEmitter {
  exec(command: string, cb: (err: Error | undefined, channel: Channel) => void): void;
  sftp(cb: (err: Error | undefined, sftp: Sftp) => void): void;
  forwardOut(srcIP: string, srcPort: number, dstIP: string, dstPort: number,
    cb: (err: Error | undefined, stream: Duplex) => void): void;
  end(): void;
  setNoDelay(noDelay: boolean): void;
}
type AuthMethod = Record<string, unknown> & { type: string; username: string };

export type NodeSshClass = typeof import('node-ssh').NodeSSH;

/** Opens one SSH session (TCP or a forwarded socket), checking the host key and logging in. */
export async function handshake(NodeSSH: NodeSshClass, endpoint: SshEndpoint, sock: Duplex | undefined,
  timeouts: SshTimeouts, host: string): Promise<Client> {
  const entries = await loadKnownHosts(endpoint.knownHostsFile);
  const name = knownHostName(endpoint.address, endpoint.port);
  let refused: Error | undefined;
  const hostVerifier = (key: Buffer, verify: (ok: boolean) => void): void => {
    const verdict = checkHostKey(entries, name, key);
    if (verdict.kind === 'known' || (verdict.kind === 'unknown' && endpoint.policy === 'off')) return verify(true);
    if (verdict.kind === 'unknown' && endpoint.policy === 'accept-new') {
      addKnownHost(endpoint.knownHostsFile, name, key).then(() => verify(true), (error: Error) => {
        refused = new UnreachableError(host, `cannot add ${name} to ${endpoint.knownHostsFile}: ${error.message}`);
        verify(false);
      });
      return;
    }
    refused = hostKeyError({ ...endpoint, host }, verdict, key);
    verify(false);
  };
  const ssh = new NodeSSH();
  const algorithms = preferredHostKeyAlgorithms(entries, name);
  try {
    await ssh.connect({
      host: endpoint.address, port: endpoint.port, username: endpoint.user, sock,
      readyTimeout: timeouts.connectMs, keepaliveInterval: timeouts.keepaliveMs,
      keepaliveCountMax: timeouts.keepaliveCountMax, hostVerifier,
      authHandler: await authMethods(endpoint, host),
      ...(algorithms ? { algorithms: { serverHostKey: algorithms } } : {}),
    } as Parameters<InstanceType<NodeSshClass>['connect']>[0]);
  } catch (error) {
    ssh.connection?.end();
    throw refused ?? unreachable(endpoint, host, error as Error & { code?: string; level?: string }, timeouts);
  }
  const client = ssh.connection as unknown as Client;
  client.on('error', () => undefined); // 'close' follows; commands in flight are failed there
  // Many small packets per command (open, exec, EOF): Nagle + delayed ACK would add ~40 ms to each.
  client.setNoDelay(true);
  return client;
}

async function authMethods(endpoint: SshEndpoint, host: string): Promise<AuthMethod[]> {
  const username = endpoint.user;
  const methods: AuthMethod[] = [];
  for (const file of endpoint.identityFiles) {
    try {
      methods.push({ type: 'publickey', username, key: await readFile(file) });
    } catch (error) {
      if (!endpoint.requiredKeys?.includes(file)) continue;
      throw new UnreachableError(host, `${host}: cannot read private key ${file} (ansible_ssh_private_key_file): ` +
        `${(error as Error).message}`);
    }
  }
  if (endpoint.agent) methods.push({ type: 'agent', username, agent: endpoint.agent });
  if (endpoint.password !== undefined) methods.push({ type: 'password', username, password: endpoint.password });
  if (methods.length === 0) methods.push({ type: 'none', username });
  return methods;
}

/** Opens a channel from `via` to the next hop; its stream is the next handshake's socket. */
export function forward(via: Client, next: SshEndpoint, host: string): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    via.forwardOut('127.0.0.1', 0, next.address, next.port, (err, stream) => {
      if (err) {
        reject(new UnreachableError(host, `${host}: the jump host could not reach ${next.address}:${next.port}: ` +
          `${err.message}`));
      } else resolve(stream);
    });
  });
}

/** Turns a failed connect into a message that says where, why, and what to check. */
function unreachable(endpoint: SshEndpoint, host: string, error: Error & { code?: string; level?: string },
  timeouts: SshTimeouts): UnreachableError {
  const where = `${endpoint.user}@${endpoint.address}:${endpoint.port}`;
  const text = `${error.code ?? ''} ${error.message}`;
  let reason: string;
  if (error.level === 'client-authentication') {
    const tried = [...endpoint.identityFiles, ...(endpoint.agent ? ['ssh-agent'] : []),
      ...(endpoint.password !== undefined ? ['password'] : [])];
    reason = `authentication failed (tried: ${tried.join(', ') || 'nothing'}); check ansible_user, ` +
      'ansible_ssh_private_key_file and the key in the remote authorized_keys';
  } else if (/ECONNREFUSED/.test(text)) {
    reason = 'connection refused: nothing listens on that port (is sshd running? is ansible_port right?)';
  } else if (/ETIMEDOUT|Timed out|No response/i.test(text)) {
    reason = `no SSH answer within ${Math.round(timeouts.connectMs / 100) / 10} s (host down, firewall, wrong address?)`;
  } else if (/ENOTFOUND|EAI_AGAIN/.test(text)) {
    reason = `cannot resolve ${endpoint.address} (check ansible_host or HostName in ~/.ssh/config)`;
  } else if (/EHOSTUNREACH|ENETUNREACH/.test(text)) {
    reason = 'no route to host (network down or wrong address?)';
  } else reason = error.message;
  const via = endpoint.host !== host ? ` (jump host ${endpoint.host})` : '';
  return new UnreachableError(host, `${host}: cannot connect to ${where}${via}: ${reason}`);
}
