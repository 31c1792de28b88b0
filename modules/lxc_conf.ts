import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { raw, shellCommand } from '../interpreter/connection/quote.js';
import type { Connection } from '../interpreter/connection/types.js';
import { given } from './common/rules.js';
import { VMID } from './pct.js';
import { ensureDirCommand } from './common/parents.js';
import { runChecked } from './common/run-checked.js';
import {
  applyDevPlan, devPassthroughPaths, devPassthroughValues, parseDevEntries, planDevEntries, type DevPlan,
} from './nvidia/dev-passthrough.js';
import { styleOnNode, type PassthroughStyle, type StyleChoice } from './nvidia/passthrough-style.js';
import { nvidiaMajors, parseProcDevices, type CharDevice, type NvidiaMajors } from './nvidia/proc-devices.js';
import {
  mainKey, mainSectionEnd, otherDeviceSources, ownedLines, rawPassthroughLines, replaceOwnedLines, sameLines, type OwnedLine,
} from './nvidia/raw-passthrough.js';
import { plannedContainer } from './pct/planned.js';
import { askNodeOncePerTask } from './common/shared.js';
import { configText, containerRunning, parseConf } from './pct/probe.js';
import { sharedContainerFacts } from './pct/planned.js';
import { ModuleFailure, type Change, type Module, type ModuleContext, type Plan } from './types.js';

export interface LxcConfArgs {
  vmid: number;
  gpu_assignment?: string | number | number[];
  style?: PassthroughStyle | 'auto';
  conf_dir?: string;
  state?: 'present' | 'absent';
  lock_dir?: string;
  mode?: string;
  uid?: number;
  gid?: number;
  include_caps?: boolean;
}

/** The raw edit to write: the new content, and the digest of what planning read (apply refuses if it changed). */
interface RawWrite {
  path: string;
  beforeSha1: string;
  after: string;
  /** utf8 when the file round-trips through it, else latin1, so every byte we do not own is written back as read. */
  encoding: BufferEncoding;
}

/** What apply does, in this order: the file edit (raw lines), then `pct set` (devN entries). */
interface State {
  raw?: RawWrite;
  devCommand?: string;
}

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

/** Reads and parses the node's `/proc/devices` (once per task for all its containers). */
async function readDevices(ctx: ModuleContext): Promise<CharDevice[]> {
  const conn = ctx.conn;
  const result = await askNodeOncePerTask(ctx, conn.host, 'cat /proc/devices',
    () => runChecked(conn, shellCommand('cat', '/proc/devices'), 'reading /proc/devices'));
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

/** The container's config file as this task finds it (see {@link confContent}), split for editing. */
interface ConfFile {
  path: string;
  content: Buffer;
  text: string;
  lines: string[];
  encoding: BufferEncoding;
  /** Check mode: the content is what an earlier task of this run planned, not the node's file. */
  planned: boolean;
}

/**
 * The config file: raw style edits it; devN style reads its devN entries (what `pct config` would show) and the raw
 * lines to remove. A missing file is a container this node does not have.
 */
async function readConf(ctx: ModuleContext, args: LxcConfArgs): Promise<ConfFile> {
  const path = posix.join(args.conf_dir ?? '/etc/pve/lxc', `${args.vmid}.conf`);
  const found = await confContent(ctx, args, path);
  const content = found.content;
  const planned = found.planned;
  if (content === null) throw new ModuleFailure(`${path} does not exist: no container ${args.vmid} on this node`);
  const encoding: BufferEncoding = Buffer.from(content.toString('utf8'), 'utf8').equals(content) ? 'utf8' : 'latin1';
  const text = content.toString(encoding);
  const lines = text.split('\n');
  const lock = mainKey(lines, 'lock');
  if (lock !== undefined) throw new ModuleFailure(`container ${args.vmid} is locked (${lock}): not changing its GPU passthrough now`);
  return { path, content, text, lines, encoding, planned };
}

/**
 * The config as this task will find it: in check mode, as an earlier task of this run planned it (this module's
 * own edit, or a container created in this run: a clone starts with its parent's config, a new container with
 * none of our lines); else the file on the node.
 */
async function confContent(ctx: ModuleContext, args: LxcConfArgs, path: string): Promise<{ content: Buffer | null; planned: boolean }> {
  return plannedConf(ctx, posix.dirname(path), args.vmid);
}

/** {@link confContent} of container `vmid` (a clone's is its parent's, up the chain). */
async function plannedConf(ctx: ModuleContext, dir: string, vmid: number, depth = 0, node = ctx.conn.host): Promise<{ content: Buffer | null; planned: boolean }> {
  const path = posix.join(dir, `${vmid}.conf`);
  const planned = ctx.planned?.get<string>('lxc-conf', `${node}:${path}`);
  if (planned !== undefined) return { content: Buffer.from(planned, 'utf8'), planned: true };
  // A parent on another node (a clone made there with --target): its config in pmxcfs's view of that node.
  const content = await ctx.conn.get(node === ctx.conn.host ? path : posix.join('/etc/pve/nodes', node, 'lxc', `${vmid}.conf`));
  const created = content === null && depth < 32 ? plannedContainer(ctx, node, vmid)?.createdFrom : undefined;
  if (!created) return { content, planned: false };
  if ('ostemplate' in created) return { content: Buffer.alloc(0), planned: true };
  return { ...(await plannedConf(ctx, dir, created.cloneOf, depth + 1, created.node ?? node)), planned: true };
}

/** What the task wants, worked out before either style plans: GPUs, caps, the node's devices, the style. */
interface Target {
  gpus: number[];
  present: boolean;
  caps: boolean;
  devices: CharDevice[];
  majors: NvidiaMajors;
  choice: StyleChoice;
  conf: ConfFile;
}

async function planTarget(ctx: ModuleContext, args: LxcConfArgs): Promise<Target> {
  const gpus = parseGpuAssignment(args.gpu_assignment ?? 'none');
  const choice = await styleOnNode(ctx.conn, args.style ?? 'auto');
  const conf = await readConf(ctx, args);
  const devices = await readDevices(ctx);
  const majors = nvidiaMajors(devices);
  const present = args.state !== 'absent' && gpus.length > 0;
  if (present && choice.style === 'raw') requireMajors(majors);
  const caps = present && includeCaps(args, majors);
  return { gpus, present, caps, devices, majors, choice, conf };
}

/** The raw GPU lines to replace by `wanted`, and the file after; undefined when they are already exactly those. */
async function rawEdit(ctx: ModuleContext, t: Target, wanted: string[]): Promise<{ owned: OwnedLine[]; after: string } | undefined> {
  const facts = { devices: t.devices, majors: t.majors, usedMajors: await usedMajors(ctx.conn, otherDeviceSources(t.conf.lines)) };
  const owned = ownedLines(t.conf.lines, facts);
  return sameLines(owned, wanted) ? undefined : { owned, after: replaceOwnedLines(t.conf.text, owned, wanted) };
}

/** The change line and data of a raw edit. */
function rawPart(t: Target, edit: { owned: OwnedLine[]; after: string }, wanted: string[]): Part {
  const unmatched = [...wanted];
  const removed = edit.owned.filter((o) => {
    const i = unmatched.indexOf(o.text);
    if (i >= 0) unmatched.splice(i, 1);
    return i < 0;
  });
  const counts = [unmatched.length && `add ${unmatched.length}`, removed.length && `remove ${removed.length}`].filter(Boolean);
  const replaced = t.choice.style === 'devN' ? ' (devN entries replace them)' : '';
  const path = t.conf.path;
  const summary = `edit ${path}: ${counts.length ? counts.join(', ') : 'reorder'} GPU line(s)${replaced}`;
  return {
    change: { summary, diff: { path, before: t.conf.text, after: edit.after } },
    state: { raw: { path, beforeSha1: sha1(t.conf.content), after: edit.after, encoding: t.conf.encoding } },
    data: { added: unmatched, removed: removed.map((o) => ({ line: o.text, why: o.why })) },
  };
}

/** One half of a plan (the file edit or the `pct set`). */
interface Part {
  change: Change;
  state: State;
  data: Record<string, unknown>;
}

async function planRaw(ctx: ModuleContext, args: LxcConfArgs, t: Target): Promise<Plan<State>> {
  if (t.present && (args.uid !== undefined || args.gid !== undefined)) {
    throw new ModuleFailure(`uid/gid are devN options and this task uses raw lines (${t.choice.reason}): a bind mount ` +
      "keeps the host node's owner (nobody:nogroup in an unprivileged container); drop uid/gid or use style devN");
  }
  const wanted = t.present ? rawPassthroughLines({ gpus: t.gpus, majors: t.majors, includeCaps: t.caps }) : [];
  const edit = await rawEdit(ctx, t, wanted);
  const devPlan = rawStyleDevDeletes(t.conf.lines);
  const parts = [edit && rawPart(t, edit, wanted), devPart(args, '', devPlan)].filter((p): p is Part => !!p);
  if (parts.length === 0) {
    const name = posix.basename(t.conf.path);
    const what = t.present ? `already passes ${describeGpus(t.gpus, t.majors, t.caps)} through with ${wanted.length} lines`
      : 'has no GPU passthrough lines';
    return okPlan(t, `${name} ${what}`);
  }
  return combine(ctx, args, t, parts, devPlan);
}

/** The NVIDIA devN entries of the main section, which the raw lines replace (other devN entries stay). */
function rawStyleDevDeletes(lines: string[]): DevPlan {
  const nvidia = parseDevEntries(mainSection(lines)).filter((e) => e.path.startsWith('/dev/nvidia'));
  return { set: [], delete: nvidia.map((e) => ({ key: e.key, why: `${e.path} goes through raw lines in style raw` })) };
}

async function planDevN(ctx: ModuleContext, args: LxcConfArgs, t: Target): Promise<Plan<State>> {
  const config = devConfig(t.conf);
  const modes = await nodeModes(ctx, t.present ? devPassthroughPaths(t.gpus, t.caps) : [], args.include_caps === undefined);
  const paths = [...modes.keys()];
  const ownership = { mode: args.mode ?? '0666', uid: args.uid, gid: args.gid };
  const devPlan = planDevEntries(parseDevEntries(config), devPassthroughValues(paths, ownership, modes));
  const edit = await rawEdit(ctx, t, []);
  const parts = [edit && rawPart(t, edit, []), devPart(args, config, devPlan)].filter((p): p is Part => !!p);
  if (parts.length === 0) {
    return okPlan(t, t.present ? `container ${args.vmid} already has devN entries for ${paths.length} NVIDIA nodes (GPU ${t.gpus.join(',')})`
      : `container ${args.vmid} has no NVIDIA devN entries or GPU lines`);
  }
  return combine(ctx, args, t, parts, devPlan);
}

function okPlan(t: Target, what: string): Plan<State> {
  return { changes: [], reason: `${what}; ${t.choice.reason}`, data: { ...styleData(t), restart_required: false, conf: t.conf.path } };
}

function styleData(t: Target): Record<string, unknown> {
  return { style: t.choice.style, style_reason: t.choice.reason };
}

/** The `pct set` of a devN plan (undefined when it is empty); `config` is `pct config` as read, for the diff. */
function devPart(args: LxcConfArgs, config: string, plan: DevPlan): Part | undefined {
  if (plan.set.length === 0 && plan.delete.length === 0) return undefined;
  const options = plan.set.flatMap((s) => [`--${s.key}`, s.value]);
  const deletes = plan.delete.length ? ['--delete', plan.delete.map((d) => d.key).join(',')] : [];
  const command = shellCommand('pct', 'set', args.vmid, ...options, ...deletes);
  return {
    change: { summary: command, ...(config ? { diff: { path: `pct config ${args.vmid}`, before: config, after: applyDevPlan(config, plan) } } : {}) },
    state: { devCommand: command },
    data: {
      set: plan.set.map((s) => ({ key: s.key, value: s.value, why: s.why })),
      delete: plan.delete.map((d) => ({ key: d.key, why: d.why })),
    },
  };
}

/** Whether the container runs: from the node's answer the run's pct tasks share, else one lxc-info. */
async function runningNow(ctx: ModuleContext, vmid: number): Promise<boolean> {
  return ctx.whileUnchanged ? (await sharedContainerFacts(ctx, vmid)).running : containerRunning(ctx.conn, vmid);
}

/** The parts as one plan; check mode records the config as this plan leaves it, for the tasks after this one. */
async function combine(ctx: ModuleContext, args: LxcConfArgs, t: Target, parts: Part[], devPlan: DevPlan): Promise<Plan<State>> {
  const after = parts.find((p) => p.state.raw)?.state.raw?.after ?? t.conf.text;
  ctx.planned?.set('lxc-conf', `${ctx.conn.host}:${t.conf.path}`, withDevPlan(after, devPlan));
  const data = Object.assign({ added: [], removed: [], set: [], delete: [] }, ...parts.map((p) => p.data)) as Record<string, unknown>;
  return {
    changes: parts.map((p) => p.change),
    state: Object.assign({}, ...parts.map((p) => p.state)) as State,
    data: { ...styleData(t), restart_required: await runningNow(ctx, args.vmid), conf: t.conf.path, ...data },
  };
}

/** The main section's lines as one text (what `pct config` shows of the file, pending changes aside). */
function mainSection(lines: string[]): string {
  return lines.slice(0, mainSectionEnd(lines)).join('\n');
}

/** A config file's text with a devN plan applied to its main section (other lines kept in place). */
function withDevPlan(text: string, plan: DevPlan): string {
  const lines = text.split('\n');
  const keys = new Set([...plan.delete.map((d) => d.key), ...plan.set.map((s) => s.key)]);
  const owned = lines.slice(0, mainSectionEnd(lines)).flatMap((line, index) => {
    const key = /^(dev\d+):/.exec(line)?.[1];
    return key && keys.has(key) ? [{ index, text: line, why: 'devN entry' }] : [];
  });
  return replaceOwnedLines(text, owned, plan.set.map((s) => `${s.key}: ${s.value}`));
}

/**
 * What `pct config` shows (pending changes included), from the file already read instead of a `pct config` (a Perl
 * start on the node); in check mode, for a config this run plans, the planned main section.
 */
function devConfig(conf: ConfFile): string {
  if (conf.planned) return mainSection(conf.lines);
  return configText(parseConf(conf.text).config);
}

/**
 * The node's modes of `paths` (`0400`) in one command, in the order given. PVE stats devN paths at `pct set` and
 * at every start: a missing node means a container that won't start, so a missing one fails the task, except MIG
 * capability nodes when `capsOptional` (include_caps not asked for: many hosts have the nvidia-caps major but
 * never create the nodes), which are left out.
 */
async function nodeModes(ctx: ModuleContext, paths: string[], capsOptional: boolean): Promise<Map<string, string>> {
  if (paths.length === 0) return new Map();
  const script = 'for p; do if [ -c "$p" ]; then stat -L -c "%a %n" -- "$p"; else echo "missing $p"; fi; done';
  const command = shellCommand('sh', '-c', script, 'sh', ...paths);
  const out = (await askNodeOncePerTask(ctx, ctx.conn.host, command, () => runChecked(ctx.conn, command, 'checking device nodes'))).stdout;
  const lines = out.split('\n').filter(Boolean).map((l) => /^(\S+) (.*)$/.exec(l)).filter((m): m is RegExpExecArray => !!m);
  const optional = (path: string): boolean => capsOptional && path.startsWith('/dev/nvidia-caps/');
  const missing = lines.filter((m) => m[1] === 'missing' && !optional(m[2]!)).map((m) => m[2]!);
  if (missing.length) {
    throw new ModuleFailure(`style devN needs the node's device nodes, missing: ${missing.join(', ')} ` +
      '(create them with `nvidia-modprobe -c0 -u`, or use style raw, whose entries are optional)');
  }
  return new Map(lines.filter((m) => m[1] !== 'missing').map((m) => [m[2]!, m[1]!.padStart(4, '0')]));
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

/**
 * `lxc_conf`: GPU passthrough in a Proxmox container's config, on the node. Raw style edits the main section of
 * `/etc/pve/lxc/<vmid>.conf` (majors from the node's /proc/devices; other bytes kept); devN style uses `pct set`.
 * `auto` (the default) is devN where the node's pve-container has it, else raw. Each style removes the other's
 * GPU entries, so switching styles leaves one set.
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
      style: { enum: ['auto', 'raw', 'devN'] },
      conf_dir: { type: 'string', minLength: 1 },
      state: { enum: ['present', 'absent'] },
      lock_dir: { type: 'string', minLength: 1 },
      mode: { type: 'string', pattern: '^0[0-7]{3}$', expected: "an octal mode of 4 digits such as '0666'" },
      uid: { type: 'integer', minimum: 0 },
      gid: { type: 'integer', minimum: 0 },
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
    const target = await planTarget(ctx, args);
    return target.choice.style === 'devN' ? planDevN(ctx, args, target) : planRaw(ctx, args, target);
  },
  async apply(ctx, args, plan) {
    const { raw, devCommand } = plan.state!;
    if (raw) {
      const command = rawWriteCommand(raw.path, args.lock_dir ?? '/run/lock/lxc', args.vmid, raw.beforeSha1);
      const result = await ctx.conn.run(command, { stdin: Buffer.from(raw.after, raw.encoding) });
      if (result.rc !== 0) return { failed: `writing ${raw.path} failed: ${result.stderr.trim() || `exit code ${result.rc}`}` };
    }
    if (devCommand) await runChecked(ctx.conn, devCommand, 'pct set');
    return {};
  },
};
