import { shellCommand } from '../interpreter/connection/quote.js';
import type { Connection } from '../interpreter/connection/types.js';
import { absolutePath, exclusive } from './common/rules.js';
import { runChecked } from './common/run-checked.js';
import { probeContainer, type ContainerFacts } from './pct/probe.js';
import { containerKey } from '../interpreter/executor/planned-state.js';
import { containerFacts, factsAfter, plannedContainer, rememberPlanned, type PlannedContainer } from './pct/planned.js';
import { ModuleFailure, type Change, type Module, type ModuleContext, type Plan } from './types.js';

/** Arguments of `pct` (brief section 6). Runs on the Proxmox node (delegate_to the container's node). */
export interface PctArgs {
  vmid: number;
  state: 'present' | 'started' | 'stopped' | 'restarted' | 'absent' | 'template';
  ostemplate?: string;
  clone_from?: number;
  snapname?: string;
  /** A snapshot that must exist (created when missing). */
  snapshot?: string;
  /** pct options (`hostname`, `memory`, `cores`, `net0`, ...): passed to create, and kept in sync with `pct set`. */
  options?: Record<string, string | number | boolean>;
  /** A path inside the container to wait for after starting (e.g. /dev/nvidia0). */
  wait_for?: string;
  /** Wait after starting until the container has a default route (its network is up). */
  wait_for_network?: boolean;
  timeout?: number;
  /**
   * Clone onto this Proxmox node (`pct clone … --target <node>`; the source's rootfs must be on shared storage). The
   * task runs on the SOURCE's node; the new CT's config lives in `/etc/pve/nodes/<target>/lxc/`, which every node of
   * the cluster sees (pmxcfs), so that is where "already exists" is looked up. Only `state: present`; `options` may
   * only hold what `pct clone` takes (hostname, description): `pct set` works on the CT's own node only.
   */
  target?: string;
}

/** A step of the plan: a command on the node, or a wait inside the container. */
type Step = { summary: string; command?: string; waitFor?: string; waitNetwork?: boolean };

/** Options only `pct create` takes; `pct set` refuses or ignores them on an existing container. */
const CREATE_ONLY = new Set(['unprivileged', 'rootfs', 'ostype', 'storage', 'password', 'ssh-public-keys', 'pool', 'restore', 'unique']);

/** A Proxmox guest id. */
export const VMID = { type: 'integer', minimum: 100, maximum: 999999999, expected: 'a Proxmox CT id from 100 to 999999999' } as const;
const SNAPSHOT_NAME = '^[A-Za-z][A-Za-z0-9_-]*$';
const SNAPSHOT_WORDS = 'a snapshot name: a letter, then letters, digits, _ or -';

export const pct: Module<PctArgs, Step[]> = {
  name: 'pct',
  schema: {
    type: 'object',
    properties: {
      vmid: VMID,
      state: { type: 'string', enum: ['present', 'started', 'stopped', 'restarted', 'absent', 'template'], default: 'present' },
      ostemplate: { type: 'string', minLength: 1 },
      clone_from: VMID,
      snapname: { type: 'string', pattern: SNAPSHOT_NAME, expected: SNAPSHOT_WORDS },
      snapshot: { type: 'string', pattern: SNAPSHOT_NAME, expected: SNAPSHOT_WORDS },
      options: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
      wait_for: absolutePath,
      wait_for_network: { type: 'boolean' },
      timeout: { type: 'integer', minimum: 1, default: 60 },
      target: { type: 'string', pattern: '^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$', expected: 'a Proxmox node name' },
    },
    required: ['vmid'],
    allOf: [
      ...exclusive('ostemplate', 'clone_from'),
      { dependencies: { snapname: ['clone_from'] }, message: 'snapname names the snapshot of clone_from to clone: it needs clone_from' },
      { dependencies: { target: ['clone_from'] }, message: 'target is the node pct clone puts the new CT on: it needs clone_from' },
    ],
    additionalProperties: false,
  },

  async plan(ctx, args): Promise<Plan<Step[]>> {
    if (args.target !== undefined && args.target !== ctx.conn.host) return planTargetClone(ctx, args, args.target);
    const facts = await containerFacts(ctx, args.vmid);
    const steps = planSteps(args, facts);
    const after = factsAfter(args, facts);
    rememberPlanned(ctx, args.vmid, after);
    const data = {
      vmid: args.vmid, exists: facts.exists, running: facts.running, snapshots: facts.snapshots,
      ...(facts.stoppedInRun ? { stopped_in_run: true } : {}), ...plannedData(args, facts, after),
    };
    if (steps.length === 0) return { changes: [], reason: okReason(args, facts), data };
    return { changes: steps.map((s): Change => ({ summary: s.summary })), state: steps, data };
  },

  async apply(ctx, args, plan) {
    for (const step of plan.state ?? []) {
      if (step.command) await runChecked(ctx.conn, step.command, step.summary);
      if (step.waitFor) await waitInside(ctx, args, step.waitFor);
      if (step.waitNetwork) await waitForNetwork(ctx, args);
    }
    if (args.target !== undefined && args.target !== ctx.conn.host) {
      const nodes = await nodesHolding(ctx.conn, args.vmid);
      return { data: { vmid: args.vmid, exists: nodes.includes(args.target), node: args.target } };
    }
    const after = await probeContainer(ctx.conn, args.vmid);
    return { data: { vmid: args.vmid, exists: after.exists, running: after.running, snapshots: after.snapshots } };
  },
};

/**
 * What check mode tells the executor about the container: how this run creates it (so tasks inside a clone are
 * predicted from its parent's snapshot) and whether the snapshot asked for is taken now or was there already.
 */
function plannedData(args: PctArgs, facts: PlannedContainer, after: PlannedContainer): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  if (!facts.exists && after.createdFrom) data.created_from = after.createdFrom;
  if (args.snapshot) data.snapshot = { name: args.snapshot, taken_now: !facts.snapshots.includes(args.snapshot) };
  return data;
}

/** The commands that take the container from what it is to what the arguments ask, in order. */
export function planSteps(args: PctArgs, facts: ContainerFacts): Step[] {
  const state = args.state ?? 'present';
  const vmid = args.vmid;
  if (state === 'absent') {
    if (!facts.exists) return [];
    return [
      ...(facts.running ? [{ summary: `stop CT ${vmid}`, command: shellCommand('pct', 'stop', vmid) }] : []),
      { summary: `destroy CT ${vmid}`, command: shellCommand('pct', 'destroy', vmid) },
    ];
  }
  const steps: Step[] = [];
  let running = facts.running;
  // Nothing to stop in a container that is not there (yet): a rolling upgrade stops every GPU container of a node,
  // including ones the configuration adds later in the run.
  if (!facts.exists && state === 'stopped' && args.ostemplate === undefined && args.clone_from === undefined) return [];
  if (!facts.exists) {
    steps.push(createStep(args));
    running = false;
  } else {
    steps.push(...optionSteps(args, facts));
  }
  if (args.snapshot && !facts.snapshots.includes(args.snapshot)) {
    steps.push({ summary: `snapshot CT ${vmid} as ${args.snapshot}`, command: shellCommand('pct', 'snapshot', vmid, args.snapshot) });
  }
  if (state === 'started' && !running) steps.push({ summary: `start CT ${vmid}`, command: shellCommand('pct', 'start', vmid) });
  if (state === 'stopped' && running) steps.push({ summary: `stop CT ${vmid}`, command: shellCommand('pct', 'shutdown', vmid, '--timeout', args.timeout ?? 60, '--forceStop', 1) });
  if (state === 'restarted') {
    if (running) steps.push({ summary: `stop CT ${vmid}`, command: shellCommand('pct', 'stop', vmid) });
    steps.push({ summary: `start CT ${vmid}`, command: shellCommand('pct', 'start', vmid) });
  }
  if (state === 'template' && !facts.template) {
    if (running) steps.push({ summary: `stop CT ${vmid}`, command: shellCommand('pct', 'stop', vmid) });
    steps.push({ summary: `convert CT ${vmid} to a template`, command: shellCommand('pct', 'template', vmid) });
  }
  const starting = (state === 'started' || state === 'restarted') && steps.length > 0;
  if (args.wait_for && starting) steps.push({ summary: `wait for ${args.wait_for} in CT ${vmid}`, waitFor: args.wait_for });
  if (args.wait_for_network && starting) steps.push({ summary: `wait for the network in CT ${vmid}`, waitNetwork: true });
  return steps;
}

/** Options `pct clone` itself takes; with `target`, every other option belongs to a task on the target node. */
const CLONE_OPTIONS = new Set(['hostname', 'description']);

/**
 * A clone onto another node (`target`), planned on the source's node: the new CT exists when its config is in
 * `/etc/pve/nodes/<target>/lxc/` (cluster-wide); one on any other node is a VMID clash, refused before anything runs.
 * Check mode records the planned clone under the target node, where the tasks after this one look for it.
 */
async function planTargetClone(ctx: ModuleContext, args: PctArgs, target: string): Promise<Plan<Step[]>> {
  if ((args.state ?? 'present') !== 'present') throw new ModuleFailure(`target (clone onto node ${target}) takes state present only; start, stop or snapshot CT ${args.vmid} with a task on node ${target}`);
  const others = Object.keys(args.options ?? {}).filter((k) => !CLONE_OPTIONS.has(k));
  if (others.length) throw new ModuleFailure(`with target, options may only be ${[...CLONE_OPTIONS].join(' and ')} (pct clone's own); set ${others.join(', ')} with a pct task on node ${target} (pct set works on the CT's own node only)`);
  const planned = plannedContainer(ctx, target, args.vmid);
  const nodes = planned?.exists ? [target] : await nodesHolding(ctx.conn, args.vmid);
  const elsewhere = nodes.filter((n) => n !== target);
  if (elsewhere.length) throw new ModuleFailure(`CT ${args.vmid} already exists on node '${elsewhere[0]}', not on target ${target}: not cloning (VMIDs are cluster-wide)`);
  const data = { vmid: args.vmid, node: target, exists: nodes.length > 0, running: false, snapshots: [] as string[] };
  if (nodes.length) return { changes: [], reason: `CT ${args.vmid} exists on node ${target} (cloned there from CT ${args.clone_from}); its state and settings are the tasks' on node ${target}`, data };
  const absent: PlannedContainer = { exists: false, running: false, config: {}, snapshots: [], template: false };
  const after = factsAfter(args, absent);
  const createdFrom = { cloneOf: args.clone_from as number, ...(args.snapname ? { snapname: args.snapname } : {}), node: ctx.conn.host };
  ctx.planned?.set('container', containerKey(target, args.vmid), { ...after, createdFrom });
  const step = createStep(args, target);
  return { changes: [{ summary: step.summary }], state: [step], data: { ...data, created_from: createdFrom } };
}

/** The nodes whose cluster-wide config directory holds `<vmid>.conf` (one round trip; none: an empty list). */
export async function nodesHolding(conn: Connection, vmid: number): Promise<string[]> {
  const conf = shellCommand(`${vmid}.conf`);
  const r = await conn.run(`for f in /etc/pve/nodes/*/lxc/${conf}; do [ -e "$f" ] && echo "$f"; done; true`);
  return r.stdout.split('\n').map((l) => /^\/etc\/pve\/nodes\/([^/]+)\/lxc\//.exec(l)?.[1]).filter((n): n is string => !!n);
}

function createStep(args: PctArgs, target?: string): Step {
  const options = Object.entries(args.options ?? {}).flatMap(([k, v]) => [`--${k}`, optionValue(v)]);
  if (args.clone_from !== undefined) {
    const snap = args.snapname ? ['--snapname', args.snapname] : [];
    const hostname = args.options?.hostname !== undefined ? ['--hostname', optionValue(args.options.hostname)] : [];
    const description = target !== undefined && args.options?.description !== undefined ? ['--description', optionValue(args.options.description)] : [];
    const settable = target !== undefined ? [] : Object.entries(args.options ?? {}).filter(([k]) => k !== 'hostname' && !CREATE_ONLY.has(k));
    const set = settable.length > 0
      ? ` && ${shellCommand('pct', 'set', args.vmid, ...settable.flatMap(([k, v]) => [`--${k}`, optionValue(v)]))}`
      : '';
    return {
      summary: `clone CT ${args.clone_from}${args.snapname ? ` (snapshot ${args.snapname})` : ''} to ${args.vmid}${target !== undefined ? ` on node ${target}` : ''}`,
      command: shellCommand('pct', 'clone', args.clone_from, args.vmid, ...snap, '--full', 1, ...hostname, ...description,
        ...(target !== undefined ? ['--target', target] : [])) + set,
    };
  }
  if (!args.ostemplate) throw new ModuleFailure(`CT ${args.vmid} does not exist; give ostemplate (create) or clone_from (clone)`);
  return { summary: `create CT ${args.vmid} from ${args.ostemplate}`, command: shellCommand('pct', 'create', args.vmid, args.ostemplate, ...options) };
}

/** `pct set` for options whose value differs from `pct config` (create-only options are left alone). */
function optionSteps(args: PctArgs, facts: ContainerFacts): Step[] {
  const differing = Object.entries(args.options ?? {}).filter(([k, v]) => !CREATE_ONLY.has(k) && !sameOption(facts.config[k], optionValue(v)));
  if (differing.length === 0) return [];
  return [{
    summary: `set ${differing.map(([k, v]) => `${k}=${optionValue(v)}`).join(' ')} on CT ${args.vmid}`,
    command: shellCommand('pct', 'set', args.vmid, ...differing.flatMap(([k, v]) => [`--${k}`, optionValue(v)])),
  }];
}

/**
 * Proxmox stores property strings its own way (`net0` gains `hwaddr=`/`type=veth` and sorted keys), so
 * `name=eth0,bridge=vmbr0` matches when every property asked for has that value.
 */
export function sameOption(actual: string | undefined, wanted: string): boolean {
  if (actual === wanted) return true;
  if (actual === undefined || !wanted.includes('=')) return false;
  const props = (text: string) => new Map(text.split(',').map((p) => {
    const eq = p.indexOf('=');
    return eq < 0 ? [p, ''] : [p.slice(0, eq), p.slice(eq + 1)];
  }));
  const have = props(actual);
  return [...props(wanted)].every(([k, v]) => have.get(k) === v);
}

function optionValue(value: string | number | boolean): string {
  return typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
}

function okReason(args: PctArgs, facts: ContainerFacts): string {
  if (!facts.exists) return `CT ${args.vmid} is absent`;
  const parts = [`CT ${args.vmid} exists`];
  if (facts.running) parts.push('running');
  else parts.push('stopped');
  if (args.snapshot) parts.push(`snapshot ${args.snapshot} present`);
  if (facts.template) parts.push('is a template');
  return parts.join(', ');
}

/** Polls inside the container until `path` exists; on timeout, fails with what the container does see. */
async function waitInside(ctx: ModuleContext, args: PctArgs, path: string): Promise<void> {
  const deadline = Date.now() + (args.timeout ?? 60) * 1000;
  const test = shellCommand('pct', 'exec', args.vmid, '--', 'test', '-e', path);
  for (;;) {
    if ((await ctx.conn.run(test)).rc === 0) return;
    if (Date.now() >= deadline) throw new ModuleFailure(await waitFailure(ctx.conn, args, path));
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** A default route in /proc/net/route (no iproute2 needed in the container). */
const HAS_DEFAULT_ROUTE = 'awk \'$2 == "00000000" { found = 1 } END { exit !found }\' /proc/net/route';

async function waitForNetwork(ctx: ModuleContext, args: PctArgs): Promise<void> {
  const deadline = Date.now() + (args.timeout ?? 60) * 1000;
  const test = shellCommand('pct', 'exec', args.vmid, '--', 'sh', '-c', HAS_DEFAULT_ROUTE);
  for (;;) {
    if ((await ctx.conn.run(test)).rc === 0) return;
    if (Date.now() >= deadline) {
      const routes = await ctx.conn.run(shellCommand('pct', 'exec', args.vmid, '--', 'cat', '/proc/net/route'));
      throw new ModuleFailure(`CT ${args.vmid} has no default route after ${args.timeout ?? 60} s; its routes:\n${routes.stdout.trim() || '(none)'}\n`
        + 'check net0 (bridge, ip, gw) in its config');
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function waitFailure(conn: Connection, args: PctArgs, path: string): Promise<string> {
  const dir = path.replace(/\/[^/]*$/, '') || '/';
  const seen = await conn.run(shellCommand('pct', 'exec', args.vmid, '--', 'ls', '-la', dir));
  const listing = seen.stdout.trim().split('\n').filter((l) => /nvidia|total/.test(l) || !dir.startsWith('/dev')).join('\n');
  return `${path} did not appear in CT ${args.vmid} within ${args.timeout ?? 60} s; the container sees in ${dir}:\n${listing || '(no nvidia devices)'}\n`
    + 'check the lxc.mount.entry lines of the container config (lxc_conf) and that the node has the device (nvidia-modprobe -c0 -u)';
}
