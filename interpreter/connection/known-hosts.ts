import { createHash, createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UnreachableError } from './types.js';

/** How unknown host keys are treated. A changed key is refused under every policy. */
export type HostKeyPolicy = 'strict' | 'accept-new' | 'off';

/** One key line of a known_hosts file. */
export interface KnownHostEntry {
  file: string;
  /** 1-based line number, for messages that tell the user which line to fix. */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** The host field as written: a comma list of patterns, or one `|1|salt|hash`. */
  hosts: string;
  keyType: string;
  /** Base64 of the public key blob. */
  key: string;
}

/** What known_hosts says about a key a server offered. */
export type HostKeyVerdict =
  | { kind: 'known'; entry: KnownHostEntry }
  | { kind: 'unknown' }
  | { kind: 'changed'; expected: KnownHostEntry[] }
  | { kind: 'revoked'; entry: KnownHostEntry };

/** Parses known_hosts text; malformed lines are skipped like OpenSSH does. */
export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === '' || fields[0].startsWith('#')) return;
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      const name = fields.shift()!.slice(1);
      if (name !== 'revoked' && name !== 'cert-authority') return;
      marker = name;
    }
    if (fields.length < 3) return;
    entries.push({ file, line: index + 1, marker, hosts: fields[0], keyType: fields[1], key: fields[2] });
  });
  return entries;
}

/** Reads a known_hosts file; a missing file knows no hosts. */
export async function loadKnownHosts(file: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await readFile(file, 'utf8'), file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** The name OpenSSH looks up (lowercased): `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(address: string, port: number): string {
  const host = address.toLowerCase();
  return port === 22 ? host : `[${host}]:${port}`;
}

/** `SHA256:<base64 without padding>`, as `ssh-keygen -l` prints it. */
export function fingerprint(keyBlob: Buffer | string): string {
  const blob = typeof keyBlob === 'string' ? Buffer.from(keyBlob, 'base64') : keyBlob;
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH public key blob (a length-prefixed string). */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const length = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + length).toString('latin1');
}

/** Does a known_hosts host field (hashed, or a comma list with `*`/`?` globs and `!` negation) name this host? */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  let matched = false;
  for (const pattern of field.split(',')) {
    const negated = pattern.startsWith('!');
    if (!globMatch(negated ? pattern.slice(1) : pattern, name, true)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/** OpenSSH-style glob: `*` any run, `?` one character (known_hosts compares lowercased, ssh_config Host does not). */
export function globMatch(pattern: string, text: string, ignoreCase = false): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(text);
}

/** Checks an offered key for `name` (see {@link knownHostName}) against the entries. */
export function checkHostKey(entries: KnownHostEntry[], name: string, keyBlob: Buffer): HostKeyVerdict {
  const offered = keyBlob.toString('base64');
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key === offered);
  if (revoked) return { kind: 'revoked', entry: revoked };
  const forHost = entries.filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, name));
  const known = forHost.find((e) => e.key === offered);
  if (known) return { kind: 'known', entry: known };
  // A key of another type than any known one is treated as changed too: a downgrade must not pass as "new".
  return forHost.length > 0 ? { kind: 'changed', expected: forHost } : { kind: 'unknown' };
}

/** Host key algorithms to ask for, known types first, so the server offers the key we can check (like OpenSSH). */
export function preferredHostKeyAlgorithms(entries: KnownHostEntry[], name: string): string[] | undefined {
  const all = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521',
    'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  const types = new Set(entries.filter((e) => !e.marker && hostFieldMatches(e.hosts, name)).map((e) => e.keyType));
  if (types.size === 0) return undefined;
  const wanted = (alg: string): boolean => types.has(alg.startsWith('rsa-sha2') ? 'ssh-rsa' : alg);
  return [...all.filter(wanted), ...all.filter((alg) => !wanted(alg))];
}

/** Appends `name type key` to a known_hosts file (accept-new), creating the file and its directory. */
export async function addKnownHost(file: string, name: string, keyBlob: Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const text = await readFile(file, 'utf8');
    if (text.length > 0 && !text.endsWith('\n')) prefix = '\n';
  } catch {
    // no file yet: appendFile creates it
  }
  await appendFile(file, `${prefix}${name} ${keyTypeOf(keyBlob)} ${keyBlob.toString('base64')}\n`, { mode: 0o600 });
}

/** A host key was refused: unknown under `strict`, changed, or revoked. The host is unreachable for this run. */
export class HostKeyError extends UnreachableError {
  constructor(host: string, message: string, readonly verdict: HostKeyVerdict['kind'], readonly offered: string,
    readonly expected: string[] = []) {
    super(host, message);
    this.name = 'HostKeyError';
  }
}

/** Where the server was reached, for messages. */
export interface HostKeyContext {
  host: string;
  address: string;
  port: number;
  knownHostsFile: string;
}

/** Builds the error for a refused key, with fingerprints, the known_hosts line and the command that fixes it. */
export function hostKeyError(ctx: HostKeyContext, verdict: HostKeyVerdict, keyBlob: Buffer): HostKeyError {
  const name = knownHostName(ctx.address, ctx.port);
  const offered = `${keyTypeOf(keyBlob)} ${fingerprint(keyBlob)}`;
  const where = `${ctx.host} (${ctx.address}:${ctx.port})`;
  if (verdict.kind === 'changed') {
    const expected = verdict.expected.map((e) => `${e.keyType} ${fingerprint(e.key)} (${e.file}:${e.line})`);
    return new HostKeyError(ctx.host,
      `HOST KEY CHANGED for ${where}: known_hosts expects ${expected.join(', ')} but the server offered ${offered}. ` +
      'Someone may be intercepting the connection, or the host was reinstalled. Refused under every policy. ' +
      `If the new key is genuine (check it on the host: ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), remove the old ` +
      `entry with: ssh-keygen -R '${name}' -f ${ctx.knownHostsFile}`,
      'changed', fingerprint(keyBlob), verdict.expected.map((e) => fingerprint(e.key)));
  }
  if (verdict.kind === 'revoked') {
    return new HostKeyError(ctx.host, `host key ${offered} of ${where} is marked @revoked in ` +
      `${verdict.entry.file}:${verdict.entry.line}; refusing to connect`, 'revoked', fingerprint(keyBlob));
  }
  const type = keyTypeOf(keyBlob).replace(/^ssh-/, '').replace(/^ecdsa-sha2-nistp\d+$/, 'ecdsa');
  return new HostKeyError(ctx.host, `host key of ${where} is not in ${ctx.knownHostsFile} (offered ${offered}) and ` +
    'host key checking is strict. Check the fingerprint on the host (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), ' +
    `then add it: ssh-keyscan -p ${ctx.port} -t ${type} ${ctx.address} >> ${ctx.knownHostsFile} ` +
    '(or set phoenix_host_key_checking: accept-new for this host)', 'unknown', fingerprint(keyBlob));
}
