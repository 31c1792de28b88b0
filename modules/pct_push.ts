import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { quote, shellCommand } from '../interpreter/connection/quote.js';
import type { Connection, PutOptions } from '../interpreter/connection/types.js';
import { absolutePath } from './common/rules.js';
import { posix } from 'node:path';
import { createDirs, dirChanges, missingDirsScript, parseMissingDirs, SYSTEM_DIR, type DirPlan } from './common/parents.js';
import { ModuleFailure, type Change, type Module, type ModuleContext } from './types.js';

export interface PctPushArgs {
  src: string;
  dest: string;
  /** Octal, as a string (`'0644'`) or a number written in octal digits (`644`). */
  mode?: string | number;
  owner?: string;
  group?: string;
  /** Where `src` is: the controller (default) or the container's Proxmox node. */
  src_on?: 'controller' | 'node';
}

export interface PushOptions {
  mode?: number;
  owner?: string;
  group?: string;
}

/**
 * One node command: `pct push` to a temp name beside `dest`, then `mv` inside the container, so a reader in the
 * container never sees half a file; the temp is removed when the move fails. The node file is left alone.
 */
export function pushCommand(vmid: string, nodeFile: string, dest: string, options: PushOptions = {}): string {
  const temp = `${dest}.phoenix-${randomBytes(6).toString('hex')}`;
  const perms = (options.mode ?? 0o644).toString(8).padStart(4, '0');
  const push = shellCommand('pct', 'push', vmid, nodeFile, temp, '--perms', perms,
    ...(options.owner ? ['--user', options.owner] : []), ...(options.group ? ['--group', options.group] : []));
  const move = shellCommand('pct', 'exec', vmid, '--', 'mv', '-f', '--', temp, dest);
  const cleanup = shellCommand('pct', 'exec', vmid, '--', 'rm', '-f', '--', temp);
  return `${push} && { ${move} || { rc=$?; ${cleanup}; exit $rc; }; }`;
}

/** Runs {@link pushCommand} on the node; a failure is a task failure naming the container. */
export async function pushFromNode(node: Connection, vmid: string, nodeFile: string, dest: string, options: PushOptions = {}): Promise<void> {
  const r = await node.run(pushCommand(vmid, nodeFile, dest, options));
  if (r.rc !== 0) {
    throw new ModuleFailure(`pct push ${nodeFile} to container ${vmid}:${dest} on ${node.host} failed: ${r.stderr.trim() || `rc ${r.rc}`}`);
  }
}

/**
 * The node connection with root for every operation, as the container connection itself uses it: `pct` and the
 * driver cache need root on the node (sudo for a non-root login; nothing for root). `ctx.connect` gives the bare one.
 */
export function asRoot(conn: Connection): Connection {
  const become = { become: true };
  return {
    host: conn.host,
    run: (command, options) => conn.run(command, { ...options, ...become }),
    put: (content, path, options) => conn.put(content, path, { ...options, ...become } as PutOptions),
    get: (path) => (conn as { get(p: string, o?: { become?: boolean }): Promise<Buffer | null> }).get(path, become),
    close: () => Promise.resolve(),
  };
}

/** The container's vmid and node connection, from the container host's `proxmox_vmid` and `proxmox_node` vars. */
export async function containerNode(ctx: ModuleContext, module: string): Promise<{ vmid: string; nodeName: string; node: Connection }> {
  const vmid = ctx.vars.proxmox_vmid;
  const nodeName = ctx.vars.proxmox_node;
  if ((typeof vmid !== 'number' && typeof vmid !== 'string') || typeof nodeName !== 'string' || !nodeName) {
    throw new ModuleFailure(`${module} runs against a container host: ${ctx.host} needs the vars proxmox_vmid and proxmox_node`);
  }
  return { vmid: String(vmid), nodeName, node: asRoot(await ctx.connect(nodeName)) };
}

/** `mode` as the schema admits it: octal digits, as a string (a number becomes one when validated). */
export const PUSH_MODE_PATTERN = '^(?:0o)?[0-7]{1,4}$';

/**
 * `'0644'`, `'644'` or `'0o644'` (octal digits) → the permission bits; a number is the bits themselves, as in
 * Ansible and the file module: YAML's `mode: 0644` arrives as 420 (= 0o644).
 */
export function parseMode(mode: string | number | undefined): number | undefined {
  if (mode === undefined) return undefined;
  if (typeof mode === 'number') return mode;
  return parseInt(mode.replace(/^0o/, ''), 8);
}

interface Target {
  sha256?: string;
  mode?: number;
  owner?: string;
  group?: string;
  /** dest's directory and its parents that do not exist in the container, outermost first. */
  missingDirs: string[];
}

/** sha256, mode, owner and group of `dest` inside the container (nothing when it does not exist), missing dirs. */
async function probeTarget(conn: Connection, dest: string): Promise<Target> {
  const dir = posix.dirname(dest);
  const r = await conn.run(`d=${quote(dest)}; if test -f "$d"; then sha256sum -- "$d"; stat -c '%a %U %G' -- "$d"; fi\n` +
    missingDirsScript('dest', dir));
  if (r.rc !== 0) throw new ModuleFailure(`cannot read ${dest} in ${conn.host}: ${r.stderr.trim() || `rc ${r.rc}`}`);
  const [sum, st] = r.stdout.split('\n');
  const sha256 = /^([0-9a-f]{64})\s/.exec(sum ?? '')?.[1];
  const m = /^([0-7]+) (\S+) (\S+)$/.exec(st ?? '');
  const missingDirs = parseMissingDirs(r.stdout, 'dest', dir);
  return sha256 && m ? { sha256, mode: parseInt(m[1]!, 8), owner: m[2], group: m[3], missingDirs } : { missingDirs };
}

interface Source {
  sha256: string;
  size: number;
  /** The file on the node to push: the source itself, or (controller) a temp the apply step uploads. */
  content?: Buffer;
}

async function probeSource(ctx: ModuleContext, args: PctPushArgs, node: Connection): Promise<Source> {
  if ((args.src_on ?? 'controller') === 'controller') {
    const content = await readFile(ctx.resolvePath(args.src)).catch((e: NodeJS.ErrnoException) => {
      throw new ModuleFailure(`cannot read ${args.src} on the controller: ${e.code ?? e.message}`);
    });
    return { sha256: createHash('sha256').update(content).digest('hex'), size: content.length, content };
  }
  const r = await node.run(`s=${quote(args.src)}; stat -c %s -- "$s" && sha256sum -- "$s"`);
  const m = /^(\d+)\n([0-9a-f]{64})\s/.exec(r.stdout);
  if (r.rc !== 0 || !m) throw new ModuleFailure(`cannot read ${args.src} on node ${node.host}: ${r.stderr.trim() || `rc ${r.rc}`}`);
  return { sha256: m[2]!, size: Number(m[1]) };
}

interface PushState {
  vmid: string;
  nodeName: string;
  source: Source;
  push: boolean;
  attributes: { mode?: number; owner?: string; group?: string };
  /** Directories to create in the container before the push (0755 root:root). */
  dirs?: DirPlan;
}

function attributeChanges(args: PctPushArgs, target: Target): PushState['attributes'] {
  const want = { mode: parseMode(args.mode), owner: args.owner, group: args.group };
  const out: PushState['attributes'] = {};
  if (want.mode !== undefined && want.mode !== target.mode) out.mode = want.mode;
  if (want.owner !== undefined && want.owner !== target.owner) out.owner = want.owner;
  if (want.group !== undefined && want.group !== target.group) out.group = want.group;
  return out;
}

function describeAttributes(a: PushState['attributes']): string {
  return [a.mode !== undefined ? `mode ${a.mode.toString(8).padStart(4, '0')}` : '', a.owner ? `owner ${a.owner}` : '',
    a.group ? `group ${a.group}` : ''].filter(Boolean).join(', ');
}

async function applyAttributes(conn: Connection, dest: string, a: PushState['attributes']): Promise<void> {
  const cmds = [
    a.mode !== undefined ? shellCommand('chmod', a.mode.toString(8), '--', dest) : '',
    a.owner || a.group ? shellCommand('chown', `${a.owner ?? ''}${a.group ? `:${a.group}` : ''}`, '--', dest) : '',
  ].filter(Boolean);
  const r = await conn.run(cmds.join(' && '));
  if (r.rc !== 0) throw new ModuleFailure(`cannot set ${describeAttributes(a)} on ${dest}: ${r.stderr.trim()}`);
}

/** Uploads controller content to a node temp file, pushes it, and always removes the temp. */
async function pushContent(node: Connection, vmid: string, content: Buffer, dest: string, options: PushOptions): Promise<void> {
  const temp = `/tmp/.phoenix-push-${vmid}-${randomBytes(6).toString('hex')}`;
  await node.put(content, temp, { mode: 0o600 });
  try {
    await pushFromNode(node, vmid, temp, dest, options);
  } finally {
    await node.run(shellCommand('rm', '-f', '--', temp));
  }
}

/**
 * `pct_push`: a file from the controller or the node into a container, with mode/owner/group. Runs against the
 * container host and reaches its node through `proxmox_node`; skipped when the sha256 inside equals the source's.
 */
export const pctPush: Module<PctPushArgs, PushState> = {
  name: 'pct_push',
  schema: {
    type: 'object',
    description:
      "A file from the controller or the container's Proxmox node into the container (pct push to a temp name, then mv " +
      'inside), with mode/owner/group. Runs against the container host and reaches its node through proxmox_node. ' +
      "Skipped when the sha256 inside equals the source's.",
    properties: {
      src: { type: 'string', minLength: 1, description: 'Source path: on the controller (relative to the playbook) or on the node.' },
      dest: { ...absolutePath, description: 'Absolute path inside the container.' },
      mode: {
        // Octal digits as a string, or the permission bits as a number (YAML's 0644 is 420), never coerced.
        type: ['integer', 'string'],
        pattern: PUSH_MODE_PATTERN,
        minimum: 0,
        maximum: 0o7777,
        expected: "octal permissions such as '0644'",
        description: "Octal permissions, e.g. '0644' (default 0644 for a new file).",
      },
      owner: { type: 'string', minLength: 1, description: 'Owner inside the container (name or id).' },
      group: { type: 'string', minLength: 1, description: 'Group inside the container (name or id).' },
      src_on: { enum: ['controller', 'node'], description: 'Where src is (default controller).' },
    },
    required: ['src', 'dest'],
    additionalProperties: false,
  },
  async plan(ctx, args) {
    const { vmid, nodeName, node } = await containerNode(ctx, 'pct_push');
    const source = await probeSource(ctx, args, node);
    const target = await probeTarget(ctx.conn, args.dest);
    const push = target.sha256 !== source.sha256;
    const attributes = push ? {} : attributeChanges(args, target);
    const dirs: DirPlan = { ...SYSTEM_DIR, dirs: target.missingDirs };
    const changes: Change[] = [...dirChanges(dirs)];
    if (push) changes.push({ summary: `push ${args.src} (${source.size} bytes, from the ${args.src_on ?? 'controller'}) to container ${vmid}:${args.dest}` });
    if (Object.keys(attributes).length) changes.push({ summary: `set ${describeAttributes(attributes)} on ${args.dest}` });
    return {
      changes,
      reason: `${args.dest} in container ${vmid} already has sha256 ${source.sha256.slice(0, 12)}…${Object.keys(attributes).length ? '' : ' and the wanted mode/owner'}`,
      state: { vmid, nodeName, source, push, attributes, dirs },
      data: { dest: args.dest, size: source.size, sha256: source.sha256 },
    };
  },
  async apply(ctx, args, plan) {
    const s = plan.state!;
    const options = { mode: parseMode(args.mode), owner: args.owner, group: args.group };
    if (s.push) {
      await createDirs(ctx.conn, s.dirs);
      const node = asRoot(await ctx.connect(s.nodeName));
      if (s.source.content) await pushContent(node, s.vmid, s.source.content, args.dest, options);
      else await pushFromNode(node, s.vmid, args.src, args.dest, options);
    }
    if (Object.keys(s.attributes).length) await applyAttributes(ctx.conn, args.dest, s.attributes);
    return { data: { dest: args.dest, size: s.source.size, sha256: s.source.sha256 } };
  },
};
