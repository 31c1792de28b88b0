import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { raw, shellCommand } from '../interpreter/connection/quote.js';
import type { Connection } from '../interpreter/connection/types.js';
import { given } from './common/rules.js';
import { VMID } from './pct.js';
import { ensureDirCommand } from './common/parents.js';
import { runChecked } from './common/run-checked.js';
import { applyDevPlan, devPassthroughPaths, parseDevEntries, planDevEntries, type DevPlan } from './nvidia/dev-passthrough.js';
import { nvidiaMajors, parseProcDevices, type CharDevice, type NvidiaMajors } from './nvidia/proc-devices.js';
import {
  mainKey, otherDeviceSources, ownedLines, rawPassthroughLines, replaceOwnedLines, sameLines, type OwnedLine,
} from './nvidia/raw-passthrough.js';
import { compareVersions } from './nvidia/versions.js';
import { plannedContainer } from './pct/planned.js';
import { ModuleFailure, type Module, type ModuleContext, type Plan } from './types.js';

export interface LxcConfArgs {
  vmid: number;
  gpu_assignment?: string | number | number[];
  style?: 'raw' | 'devN';
  conf_dir?: string;
  state?: 'present' | 'absent';
  lock_dir?: string;
  mode?: string;
  include_caps?: boolean;
}

/** Raw style: the file to write, and the digest of what planning read (apply refuses if it changed meanwhile). */
interface RawState {
  style: 'raw';
  path: string;
  beforeSha1: string;
  after: string;
  /** utf8 when the file round-trips through it, else latin1, so every byte we do not own is written back as read. */
  encoding: BufferEncoding;
}

interface DevState {
  style: 'devN';
  command: string;
}

type State = RawState | DevState;

/** pve-container 5.0.7 (PVE 8.1) added devN (domain 1.4). */
const DEVN_MIN_PVE_CONTAINER = '5.0.7';

/** `gpu_assignment` as a string: `"none"` (any case), empty, or indexes separated by commas. */
export const GPU_LIST_PATTERN = '^\\s*(?:[Nn][Oo][Nn][Ee]|\\d+(?:\\s*,\\s*\\d+)*)?\\s*$';

/** Parses `gpu_assignment` (as the schema admits it): `"none"`, `"0,1"`, `1` or `[0, 1]` → sorted unique indexes. */
export function parseGpuAssignment(value: string | number | number[]): number[] {
  if (Array.isArray(value)) return [...new Set(value)].sort((a, b) => a - b);
  if (typeof value === 'number') return [value];
  const text = value.trim();
  if (text === '' || text.toLowerCase() === 'none') return [];
  return [...new Set(text.split(',').map((p) => Number(p.trim())))].sort((a, b) => a - b);
}

/** Reads and parses the node's `/proc/devices`. */
async function readDevices(conn: Connection): Promise<CharDevice[]> {
  const result = await runChecked(conn, shellCommand('cat', '/proc/devices'), 'reading /proc/devices');
  return parseProcDevices(result.stdout);
}

/** Whether `include_caps` applies: as asked, else when the node has an nvidia-caps major. */
function includeCaps(args: LxcConfArgs, majors: NvidiaMajors): boolean {
  if (args.include_caps === true && majors.caps === undefined) {
    throw new ModuleFailure("include_caps is true but the node's /proc/devices has no nvidia-caps major");
  }
  return args.include_caps ?? majors.caps !== undefined;
}

/** Fails when a GPU container needs majors the node does not have (driver not loaded): they cannot be guessed. */
function requireMajors(majors: NvidiaMajors): void {
  const missing = [['nvidia', majors.nvidia], ['nvidia-uvm', majors.uvm]].filter(([, m]) => m === undefined).map(([n]) => n);
  if (missing.length === 0) return;
  throw new ModuleFailure(`the node's /proc/devices has no ${missing.join(', ')} major: the NVIDIA driver is not ` +
    'loaded (nvidia-uvm loads on first use: `nvidia-modprobe -u -c0`), and dynamic majors are never guessed');
}

/** `pct status` says running: a raw-line or devN change then waits for the next start. */
async function isRunning(conn: Connection, vmid: number): Promise<boolean> {
  const result = await conn.run(shellCommand('pct', 'status', vmid));
  return result.rc === 0 && /^status: running$/m.test(result.stdout);
}

/** Majors of the config's other passthrough devices, stat'ed on the node (a missing source has none). */
async function usedMajors(conn: Connection, sources: string[]): Promise<Set<number>> {
  if (sources.length === 0) return new Set();
  const result = await conn.run(shellCommand('stat', '-L', '-c', '%t %n', '--', ...sources, raw('2>/dev/null')));
  const majors = result.stdout.split('\n').map((l) => /^([0-9a-f]+) /.exec(l)?.[1]).filter((h): h is string => !!h);
  return new Set(majors.map((h) => parseInt(h, 16)));
}

function describeGpus(gpus: number[], majors: NvidiaMajors, caps: boolean): string {
  const capsText = caps ? `, caps major ${majors.caps}` : '';
  return `GPU ${gpus.join(',')} (uvm major ${majors.uvm}${capsText})`;
}

async function planRaw(ctx: ModuleContext, args: LxcConfArgs, gpus: number[]): Promise<Plan<State>> {
  const path = posix.join(args.conf_dir ?? '/etc/pve/lxc', `${args.vmid}.conf`);
  const content = await confContent(ctx, args, path);
  if (content === null) throw new ModuleFailure(`${path} does not exist: no container ${args.vmid} on this node`);
  const encoding: BufferEncoding = Buffer.from(content.toString('utf8'), 'utf8').equals(content) ? 'utf8' : 'latin1';
  const text = content.toString(encoding);
  const lines = text.split('\n');
  const lock = mainKey(lines, 'lock');
  if (lock !== undefined) throw new ModuleFailure(`container ${args.vmid} is locked (${lock}): not editing ${path} now`);
  const devices = await readDevices(ctx.conn);
  const majors = nvidiaMajors(devices);
  const present = args.state !== 'absent' && gpus.length > 0;
  if (present) requireMajors(majors);
  const caps = includeCaps(args, majors);
  const wanted = present ? rawPassthroughLines({ gpus, majors, includeCaps: caps }) : [];
  const owned = ownedLines(lines, { devices, majors, usedMajors: await usedMajors(ctx.conn, otherDeviceSources(lines)) });
  const name = posix.basename(path);
  if (sameLines(owned, wanted)) {
    const reason = present ? `${name} already passes ${describeGpus(gpus, majors, caps)} through with ${wanted.length} lines`
      : `${name} has no GPU passthrough lines`;
    return { changes: [], reason, data: { restart_required: false, conf: path } };
  }
  const after = replaceOwnedLines(text, owned, wanted);
  ctx.planned?.set('lxc-conf', `${ctx.conn.host}:${path}`, after);
  return rawChangePlan(ctx, args, { path, text, after, owned, wanted, encoding, beforeSha1: sha1(content) });
}

/**
 * The config as this task will find it: in check mode, as an earlier task of this run planned it (this module's
 * own edit, or a container created in this run: a clone starts with its parent's config, a new container with
 * none of our lines); else the file on the node.
 */
async function confContent(ctx: ModuleContext, args: LxcConfArgs, path: string): Promise<Buffer | null> {
  return plannedConf(ctx, posix.dirname(path), args.vmid);
}

/** {@link confContent} of container `vmid` (a clone's is its parent's, up the chain). */
async function plannedConf(ctx: ModuleContext, dir: string, vmid: number, depth = 0): Promise<Buffer | null> {
  const path = posix.join(dir, `${vmid}.conf`);
  const planned = ctx.planned?.get<string>('lxc-conf', `${ctx.conn.host}:${path}`);
  if (planned !== undefined) return Buffer.from(planned, 'utf8');
  const content = await ctx.conn.get(path);
  const created = content === null && depth < 32 ? plannedContainer(ctx, ctx.conn.host, vmid)?.createdFrom : undefined;
  if (!created) return content;
  return 'ostemplate' in created ? Buffer.alloc(0) : plannedConf(ctx, dir, created.cloneOf, depth + 1);
}

/** A planned raw edit: the file as read (text, digest of its bytes) and as it should be. */
interface RawEdit {
  path: string;
  text: string;
  after: string;
  owned: OwnedLine[];
  wanted: string[];
  encoding: BufferEncoding;
  beforeSha1: string;
}

async function rawChangePlan(ctx: ModuleContext, args: LxcConfArgs, edit: RawEdit): Promise<Plan<State>> {
  const unmatched = [...edit.wanted];
  const removed = edit.owned.filter((o) => {
    const i = unmatched.indexOf(o.text);
    if (i >= 0) unmatched.splice(i, 1);
    return i < 0;
  });
  const added = unmatched;
  const running = await isRunning(ctx.conn, args.vmid);
  const counts = [added.length && `add ${added.length}`, removed.length && `remove ${removed.length}`].filter(Boolean);
  const summary = `edit ${edit.path}: ${counts.length ? counts.join(', ') : 'reorder'} GPU line(s)`;
  return {
    changes: [{ summary, diff: { path: edit.path, before: edit.text, after: edit.after } }],
    state: { style: 'raw', path: edit.path, beforeSha1: edit.beforeSha1, after: edit.after, encoding: edit.encoding },
    data: {
      restart_required: running,
      conf: edit.path,
      added,
      removed: removed.map((o) => ({ line: o.text, why: o.why })),
    },
  };
}

function sha1(bytes: Buffer): string {
  return createHash('sha1').update(bytes).digest('hex');
}

/**
 * One remote command: take PVE's config lock, check the file is still what planning read, write `<file>.tmp.<pid>`
 * exclusively (set -C) in the same directory with the new content from stdin, keep mode/owner where the
 * filesystem allows (pmxcfs does not), rename over the file.
 */
export function rawWriteCommand(path: string, lockDir: string, vmid: number, beforeSha1: string): string {
  const script = [
    'f=$1; set -C',
    '[ "$(sha1sum <"$f" | cut -d" " -f1)" = "$2" ] || { echo "phoenix: $f changed since it was read; run again" >&2; exit 3; }',
    't=$f.tmp.$$',
    'cat >"$t" || { rm -f -- "$t"; exit 4; }',
    'chmod --reference="$f" "$t" 2>/dev/null; chown --reference="$f" "$t" 2>/dev/null',
    'mv -f -- "$t" "$f"',
  ].join('\n');
  const lock = posix.join(lockDir, `pve-config-${vmid}.lock`);
  // The lock directory (PVE's /run/lock/lxc) is made when missing, each level 0755 root:root as PVE makes it.
  return `${ensureDirCommand(lockDir)} && ${shellCommand('flock', '-w', '10', lock, 'sh', '-c', script, 'sh', path, beforeSha1)}`;
}

async function planDevN(ctx: ModuleContext, args: LxcConfArgs, gpus: number[]): Promise<Plan<State>> {
  const config = (await runChecked(ctx.conn, shellCommand('pct', 'config', args.vmid), `pct config ${args.vmid}`)).stdout;
  const lock = /^lock:\s*(\S+)/m.exec(config)?.[1];
  if (lock !== undefined) throw new ModuleFailure(`container ${args.vmid} is locked (${lock}): not changing its devices now`);
  await requireDevNSupport(ctx.conn);
  const present = args.state !== 'absent' && gpus.length > 0;
  const majors = nvidiaMajors(await readDevices(ctx.conn));
  const caps = present && includeCaps(args, majors);
  const paths = present ? devPassthroughPaths(gpus, caps) : [];
  await requireNodes(ctx.conn, paths);
  const mode = args.mode ?? '0666';
  const plan = planDevEntries(parseDevEntries(config), paths.map((path) => ({ path, value: `${path},mode=${mode}` })));
  if (plan.set.length === 0 && plan.delete.length === 0) {
    const reason = present ? `container ${args.vmid} already has devN entries for ${paths.length} NVIDIA nodes (GPU ${gpus.join(',')})`
      : `container ${args.vmid} has no NVIDIA devN entries`;
    return { changes: [], reason, data: { restart_required: false } };
  }
  return devChangePlan(ctx, args, config, plan);
}

async function devChangePlan(ctx: ModuleContext, args: LxcConfArgs, config: string, plan: DevPlan): Promise<Plan<State>> {
  const options = plan.set.flatMap((s) => [`--${s.key}`, s.value]);
  const deletes = plan.delete.length ? ['--delete', plan.delete.map((d) => d.key).join(',')] : [];
  const command = shellCommand('pct', 'set', args.vmid, ...options, ...deletes);
  const running = await isRunning(ctx.conn, args.vmid);
  return {
    changes: [{ summary: command, diff: { path: `pct config ${args.vmid}`, before: config, after: applyDevPlan(config, plan) } }],
    state: { style: 'devN', command },
    data: {
      restart_required: running,
      set: plan.set.map((s) => ({ key: s.key, value: s.value, why: s.why })),
      delete: plan.delete.map((d) => ({ key: d.key, why: d.why })),
    },
  };
}

/** devN needs pve-container >= 5.0.7 (PVE 8.1); where dpkg does not know the package, `pct set` decides. */
async function requireDevNSupport(conn: Connection): Promise<void> {
  const result = await conn.run(shellCommand('dpkg-query', '-W', '-f=${Version}', 'pve-container'));
  const version = /^(\d+(?:\.\d+)*)/.exec(result.stdout.trim())?.[1];
  if (result.rc !== 0 || !version) return;
  if (compareVersions(version, DEVN_MIN_PVE_CONTAINER) < 0) {
    throw new ModuleFailure(`style devN needs pve-container >= ${DEVN_MIN_PVE_CONTAINER} (PVE 8.1); this node has ` +
      `${version}: use style raw`);
  }
}

/** PVE stats devN paths at `pct set` and at every start: a missing node means a container that won't start. */
async function requireNodes(conn: Connection, paths: string[]): Promise<void> {
  if (paths.length === 0) return;
  const script = 'for p; do [ -c "$p" ] || echo "$p"; done';
  const missing = (await runChecked(conn, shellCommand('sh', '-c', script, 'sh', ...paths), 'checking device nodes'))
    .stdout.split('\n').filter(Boolean);
  if (missing.length) {
    throw new ModuleFailure(`style devN needs the node's device nodes, missing: ${missing.join(', ')} ` +
      '(create them with `nvidia-modprobe -c0 -u`, or use style raw, whose entries are optional)');
  }
}

/**
 * `lxc_conf`: GPU passthrough in a Proxmox container's config, on the node. Raw style edits the main section of
 * `/etc/pve/lxc/<vmid>.conf` (majors from the node's /proc/devices; other bytes kept); devN style uses `pct set`.
 */
export const lxcConf: Module<LxcConfArgs, State> = {
  name: 'lxc_conf',
  schema: {
    type: 'object',
    properties: {
      vmid: VMID,
      gpu_assignment: {
        type: ['string', 'integer', 'array'],
        minimum: 0,
        pattern: GPU_LIST_PATTERN,
        items: { type: 'integer', minimum: 0 },
        expected: '"none" or GPU indexes separated by commas such as "0,1" (or an index, or a list of indexes)',
      },
      style: { enum: ['raw', 'devN'] },
      conf_dir: { type: 'string', minLength: 1 },
      state: { enum: ['present', 'absent'] },
      lock_dir: { type: 'string', minLength: 1 },
      mode: { type: 'string', pattern: '^0[0-7]{3}$', expected: "an octal mode of 4 digits such as '0666'" },
      include_caps: { type: 'boolean' },
    },
    required: ['vmid'],
    allOf: [{
      anyOf: [{ required: ['gpu_assignment'] }, given('state', ['absent'])],
      message: 'gpu_assignment is required with state present ("none", "0,1" or a list of indexes)',
    }],
    additionalProperties: false,
  },
  async plan(ctx, args) {
    const gpus = parseGpuAssignment(args.gpu_assignment ?? 'none');
    return args.style === 'devN' ? planDevN(ctx, args, gpus) : planRaw(ctx, args, gpus);
  },
  async apply(ctx, args, plan) {
    const state = plan.state!;
    if (state.style === 'devN') {
      await runChecked(ctx.conn, state.command, 'pct set');
      return {};
    }
    const command = rawWriteCommand(state.path, args.lock_dir ?? '/run/lock/lxc', args.vmid, state.beforeSha1);
    const result = await ctx.conn.run(command, { stdin: Buffer.from(state.after, state.encoding) });
    if (result.rc !== 0) return { failed: `writing ${state.path} failed: ${result.stderr.trim() || `exit code ${result.rc}`}` };
    return {};
  },
};
