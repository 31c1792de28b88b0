import { raw, shellCommand } from '../interpreter/connection/quote.js';
import { pythonRegex } from './common/python-regex.js';
import { given, when } from './common/rules.js';
import type { Module, ModuleContext } from './types.js';

export interface WaitForArgs {
  host?: string;
  port?: number;
  path?: string;
  state?: 'present' | 'started' | 'stopped' | 'absent';
  search_regex?: string;
  timeout?: number;
  delay?: number;
  sleep?: number;
  connect_timeout?: number;
  msg?: string;
}

/** One observation of the thing waited for. */
interface Probe {
  done: boolean;
  /** What the last check saw, for the timeout message. */
  saw: string;
  data?: Record<string, unknown>;
}

const sleep = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

/**
 * A TCP connect from the target host: bash's /dev/tcp, else nc, else python3. Host and port are positional
 * arguments of the inner shell, never part of its code.
 */
function tcpCommand(host: string, port: number, seconds: number): string {
  const inner = 'if command -v bash >/dev/null 2>&1; then exec timeout "$2" bash -c \'exec 3<>"/dev/tcp/$0/$1"\' "$0" "$1"; ' +
    'elif command -v nc >/dev/null 2>&1; then exec nc -z -w "$2" "$0" "$1"; ' +
    'else exec python3 -c \'import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), int(sys.argv[3]))\' "$0" "$1" "$2"; fi';
  return shellCommand('sh', '-c', inner, host, port, seconds, raw('2>/dev/null'));
}

async function probePort(ctx: ModuleContext, args: WaitForArgs, host: string): Promise<Probe> {
  const result = await ctx.conn.run(tcpCommand(host, args.port!, args.connect_timeout ?? 5));
  const open = result.rc === 0;
  const wantOpen = args.state !== 'stopped';
  return { done: open === wantOpen, saw: `${host}:${args.port} was ${open ? 'open' : 'closed'}`, data: { port: args.port } };
}

async function probeFile(ctx: ModuleContext, args: WaitForArgs): Promise<Probe> {
  const path = args.path!;
  if (args.state === 'absent') {
    const result = await ctx.conn.run(shellCommand(raw('test -e'), path, raw('|| test -L'), path));
    return { done: result.rc !== 0, saw: `${path} ${result.rc === 0 ? 'still exists' : 'is absent'}`, data: { path } };
  }
  let content: Buffer | null;
  try {
    content = await ctx.conn.get(path);
  } catch {
    const result = await ctx.conn.run(shellCommand(raw('test -e'), path));
    return { done: result.rc === 0 && !args.search_regex, saw: `${path} ${result.rc === 0 ? 'exists but cannot be read' : 'does not exist'}`, data: { path } };
  }
  if (content === null) return { done: false, saw: `${path} does not exist`, data: { path } };
  if (!args.search_regex) return { done: true, saw: `${path} exists`, data: { path, match_groups: [], match_groupdict: {} } };
  const compiled = pythonRegex(args.search_regex);
  const re = new RegExp(compiled.source, [...new Set(`${compiled.flags}m`)].join(''));
  const match = re.exec(content.toString('utf8'));
  if (!match) return { done: false, saw: `${path} exists (${content.length} bytes) without a match`, data: { path } };
  return { done: true, saw: `${path} matches`, data: { path, match_groups: match.slice(1), match_groupdict: { ...(match.groups ?? {}) } } };
}

function timeoutMessage(args: WaitForArgs, host: string): string {
  if (args.msg) return args.msg;
  if (args.port !== undefined) return args.state === 'stopped' ? `Timeout when waiting for ${host}:${args.port} to stop.` : `Timeout when waiting for ${host}:${args.port}`;
  if (args.state === 'absent') return `Timeout when waiting for ${args.path} to be absent.`;
  if (args.search_regex) return `Timeout when waiting for search string ${args.search_regex} in ${args.path}`;
  return `Timeout when waiting for file ${args.path}`;
}

/** Which arguments go together (Ansible's messages), as schema clauses. */
const RULES = [
  { not: { required: ['port', 'path'] }, message: 'port and path parameter can not both be passed to wait_for' },
  when({ required: ['path'] }, { not: given('state', ['stopped']) }, 'state=stopped should only be used for checking a port in the wait_for module'),
  when({ required: ['port'] }, { not: { required: ['search_regex'] } }, 'search_regex with port is not supported by phoenix'),
  when({ required: ['port'] }, { not: given('state', ['absent']) }, 'state=absent should only be used for checking a path'),
];

/**
 * Ansible's `wait_for`: polls a path (present/absent, optionally a regex in it) or a TCP port from the target host
 * every `sleep` seconds until `timeout`. Never changed; in check mode it is skipped, as Ansible does.
 */
export const waitFor: Module<WaitForArgs> = {
  name: 'wait_for',
  schema: {
    type: 'object',
    properties: {
      host: { type: 'string' },
      port: { type: 'integer', minimum: 1, maximum: 65535 },
      path: { type: 'string' },
      state: { enum: ['present', 'started', 'stopped', 'absent'] },
      search_regex: { type: 'string' },
      timeout: { type: 'number', minimum: 0 },
      delay: { type: 'number', minimum: 0 },
      sleep: { type: 'number', minimum: 0 },
      connect_timeout: { type: 'integer', minimum: 1 },
      msg: { type: 'string' },
    },
    allOf: RULES,
    additionalProperties: false,
  },
  async plan(ctx, args) {
    if (ctx.check) return { changes: [], skipInCheck: 'remote module (wait_for) does not support check mode' };
    const host = args.host ?? '127.0.0.1';
    const timeout = args.timeout ?? 300;
    const start = Date.now();
    if (args.delay) await sleep(args.delay);
    if (args.path === undefined && args.port === undefined) {
      await sleep(timeout);
      return { changes: [], reason: `waited ${timeout}s`, data: { elapsed: Math.floor((Date.now() - start) / 1000) } };
    }
    const check = () => (args.path !== undefined ? probeFile(ctx, args) : probePort(ctx, args, host));
    let last: Probe;
    for (;;) {
      last = await check();
      const elapsed = Math.floor((Date.now() - start) / 1000);
      if (last.done) return { changes: [], reason: `${last.saw} after ${elapsed}s`, data: { elapsed, search_regex: args.search_regex ?? null, port: args.port ?? null, ...last.data } };
      if (Date.now() - start >= timeout * 1000) break;
      await sleep(Math.min(args.sleep ?? 1, Math.max(0, timeout - (Date.now() - start) / 1000)));
    }
    const elapsed = Math.floor((Date.now() - start) / 1000);
    return { changes: [], fail: `${timeoutMessage(args, host)} (last check: ${last.saw})`, data: { elapsed } };
  },
  async apply() {
    return {};
  },
};
