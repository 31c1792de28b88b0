import { readdirSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { globMatch } from './known-hosts.js';

/** The ssh_config settings phoenix uses, after matching a host (first value wins, IdentityFile accumulates). */
export interface SshConfigResult {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  identitiesOnly?: boolean;
  /** ProxyJump hops in order, `[user@]host[:port]` each; absent for none. */
  proxyJump?: string[];
  userKnownHostsFile?: string;
  strictHostKeyChecking?: string;
  connectTimeoutSec?: number;
  serverAliveIntervalSec?: number;
}

/** Where to read ssh_config from and how to expand `~` and `%` tokens. */
export interface SshConfigOptions {
  /** Defaults to `~/.ssh/config`. */
  file?: string;
  /** Defaults to the HOME of this process. */
  home?: string;
  /** Local user name for `%u`. */
  localUser?: string;
}

interface Directive {
  key: string;
  args: string[];
  file: string;
  line: number;
}

/** Splits one ssh_config line into keyword and arguments (`Key value`, `Key=value`, "double quotes"). */
export function splitDirective(line: string): { key: string; args: string[] } | undefined {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) return undefined;
  const match = /^([A-Za-z]+)\s*(?:=\s*|\s+)(.*)$/.exec(text);
  if (!match) return { key: text.toLowerCase(), args: [] };
  const args: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(match[2]); m; m = re.exec(match[2])) {
    if (m[2]?.startsWith('#')) break;
    args.push(m[1] ?? m[2]);
  }
  return { key: match[1].toLowerCase(), args };
}

function parseFile(file: string): Directive[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const directives: Directive[] = [];
  text.split('\n').forEach((raw, index) => {
    const d = splitDirective(raw);
    if (d) directives.push({ ...d, file, line: index + 1 });
  });
  return directives;
}

/** A Host pattern list matches when a plain pattern matches and no `!pattern` does (case-sensitive, like OpenSSH). */
export function hostPatternsMatch(patterns: string[], host: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (!globMatch(negated ? pattern.slice(1) : pattern, host)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/** Reads ssh_config (with Include) and returns what applies to `host`, OpenSSH's first-match-wins rules. */
export function resolveSshConfig(host: string, options: SshConfigOptions = {}): SshConfigResult {
  const home = options.home ?? process.env.HOME ?? homedir();
  const file = options.file ?? join(home, '.ssh', 'config');
  const values = new Map<string, string[]>();
  const identityFiles: string[] = [];
  // `Match host` looks at the hostname as resolved so far (OpenSSH), `Host` at the name as given.
  const current = (): string => (values.has('hostname') ? expandTokens(values.get('hostname')![0], { h: host }) : host)
    .toLowerCase();
  const walk = (directives: Directive[], depth: number): void => {
    let active = true;
    for (const d of directives) {
      if (d.key === 'host') active = hostPatternsMatch(d.args, host);
      else if (d.key === 'match') active = matchActive(d.args, current());
      else if (!active) continue;
      else if (d.key === 'include' && depth < 16) {
        for (const path of d.args.flatMap((a) => expandInclude(a, home))) walk(parseFile(path), depth + 1);
      } else if (d.key === 'identityfile') identityFiles.push(...d.args);
      else if (!values.has(d.key)) values.set(d.key, d.args);
    }
  };
  walk(parseFile(file), 0);
  return toResult(host, values, identityFiles, { home, localUser: options.localUser ?? userInfo().username });
}

/** `Match all` and `Match host <patterns>` are understood; other criteria never match (phoenix does not run `exec`). */
function matchActive(args: string[], host: string): boolean {
  if (args[0]?.toLowerCase() === 'all') return true;
  if (args[0]?.toLowerCase() === 'host' && args[1]) return hostPatternsMatch(args[1].split(','), host);
  return false;
}

function expandInclude(arg: string, home: string): string[] {
  const path = expandTilde(arg, home);
  const full = isAbsolute(path) ? path : join(home, '.ssh', path);
  if (!/[*?]/.test(basename(full))) return [full];
  try {
    return readdirSync(dirname(full)).filter((n) => globMatch(basename(full), n)).sort().map((n) => join(dirname(full), n));
  } catch {
    return [];
  }
}

function expandTilde(path: string, home: string): string {
  return path === '~' || path.startsWith('~/') ? join(home, path.slice(1)) : path;
}

/** Expands `%%`, `%h`, `%d`, `%u`, `%r` and a leading `~`, the tokens IdentityFile and HostName use. */
export function expandTokens(value: string, tokens: Record<string, string>): string {
  return value.replace(/%([%hdur])/g, (all, t: string) => (t === '%' ? '%' : tokens[t] ?? all));
}

function toResult(host: string, values: Map<string, string[]>, identityFiles: string[],
  ctx: { home: string; localUser: string }): SshConfigResult {
  const one = (key: string): string | undefined => values.get(key)?.[0];
  const hostName = one('hostname') ? expandTokens(one('hostname')!, { h: host }) : undefined;
  const user = one('user');
  const tokens = { h: hostName ?? host, d: ctx.home, u: ctx.localUser, r: user ?? ctx.localUser };
  const jump = one('proxyjump');
  const result: SshConfigResult = {
    hostName,
    user,
    port: one('port') ? Number(one('port')) : undefined,
    identityFiles: identityFiles.filter((f) => f.toLowerCase() !== 'none')
      .map((f) => expandTilde(expandTokens(f, tokens), ctx.home)),
    identitiesOnly: one('identitiesonly') ? one('identitiesonly')!.toLowerCase() === 'yes' : undefined,
    proxyJump: jump && jump.toLowerCase() !== 'none' ? jump.split(',') : undefined,
    userKnownHostsFile: one('userknownhostsfile') ? expandTilde(expandTokens(one('userknownhostsfile')!, tokens), ctx.home) : undefined,
    strictHostKeyChecking: one('stricthostkeychecking')?.toLowerCase(),
    connectTimeoutSec: one('connecttimeout') ? Number(one('connecttimeout')) : undefined,
    serverAliveIntervalSec: one('serveraliveinterval') ? Number(one('serveraliveinterval')) : undefined,
  };
  return result;
}

/** Splits a ProxyJump hop `[user@]host[:port]` (also `[v6]:port`). */
export function parseJumpHop(hop: string): { user?: string; host: string; port?: number } {
  const at = hop.lastIndexOf('@');
  const user = at >= 0 ? hop.slice(0, at) : undefined;
  const rest = hop.slice(at + 1);
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracket) return { user, host: bracket[1], port: bracket[2] ? Number(bracket[2]) : undefined };
  const colon = rest.lastIndexOf(':');
  if (colon > 0 && rest.indexOf(':') === colon) {
    return { user, host: rest.slice(0, colon), port: Number(rest.slice(colon + 1)) };
  }
  return { user, host: rest };
}
