import { raw, shellCommand } from '../interpreter/connection/quote.js';
import { APT_ENV, aptErrors, aptUpdate, LOCK_WAIT } from './apt/apt-update.js';
import { readWhileUnchanged } from './common/shared.js';
import { isDriverPackage } from './apt/driver-packages.js';
import { PLANNED_REPO } from './apt_repo.js';
import { isTrue } from './common/rules.js';
import { parseAptPolicy, parseDpkgQuery, parseDpkgStatusFile, parseSimulation, type DpkgState, type PolicyState, type SimulatedInstall } from './apt/dpkg.js';
import { ModuleFailure, type Change, type Module, type ModuleContext, type Plan } from './types.js';

export interface AptArgs {
  name?: string | string[];
  state?: 'present' | 'absent' | 'latest';
  update_cache?: boolean;
  /** Seconds: with update_cache, the cache is updated only when older than this. */
  cache_valid_time?: number;
  install_recommends?: boolean;
  allow_driver_packages?: boolean;
  purge?: boolean;
}

/** A requested package: `name` or `name=version`. */
interface Wanted {
  spec: string;
  name: string;
  version?: string;
}

export interface AptState {
  update: boolean;
  install: string[];
  remove: string[];
}

/** Where a `.run` driver install leaves its marks (nvidia-installer and its log directory). */
/** Debian package names, optionally with =version. */
const NAME = '^[a-z0-9][a-z0-9+.:~-]*(=\\S+)?$';
const PACKAGE = { type: 'string', pattern: NAME, expected: 'a Debian package name (lower case), optionally name=version' };
const RUN_MARKERS = ['/usr/bin/nvidia-installer', '/var/lib/nvidia/log'];
const CACHE_STAMPS = ['/var/lib/apt/periodic/update-success-stamp', '/var/lib/apt/lists'];

interface AptFacts {
  dpkg: Map<string, DpkgState>;
  policy: Map<string, PolicyState>;
  runMarkers: string[];
  /** Seconds since the last cache update, or null when unknown. */
  cacheAge: number | null;
}

function wanted(args: AptArgs): Wanted[] {
  const names = args.name === undefined ? [] : Array.isArray(args.name) ? args.name : [args.name];
  return names.map((spec) => {
    const [name, version] = spec.split('=', 2);
    return { spec, name, ...(version ? { version } : {}) };
  });
}

/**
 * One command: dpkg state of every package, the `.run` markers, (when the cache may need an update) its age, and
 * (for latest) apt-cache policy. Only the cache's age costs programs of its own (`date`, one `stat`), so a task
 * without update_cache runs dpkg-query alone.
 */
function probeCommand(names: string[] | 'all', latest: boolean, cacheAge: boolean): string {
  const format = '-f=${Package}\\t${Status}\\t${Version}\\n';
  const lines = [
    names === 'all' ? shellCommand('dpkg-query', '-W', format, raw('2>/dev/null; true'))
      : names.length ? shellCommand('dpkg-query', '-W', format, '--', ...names, raw('2>/dev/null; true')) : 'true',
    ...RUN_MARKERS.map((m) => shellCommand(raw('if [ -e'), m, raw(']; then echo @@run'), m, raw('; fi'))),
  ];
  if (cacheAge) lines.push('echo "@@now $(date +%s)"', shellCommand('stat', '-c', '@@stamp %Y', '--', ...CACHE_STAMPS, raw('2>/dev/null')));
  if (latest && names !== 'all' && names.length) lines.push('echo @@policy', shellCommand('apt-cache', 'policy', '--', ...names));
  return lines.join('\n') + '\ntrue';
}

/**
 * What planning reads: through ModuleContext.whileUnchanged, one query of the whole dpkg database (with the marks
 * and the cache's age) serves every apt task of the host until something in the run changes (four apt tasks per
 * container in site.yml: one dpkg-query instead of four). `latest` (apt-cache policy of these names) and
 * arch-qualified names (`libc6:i386`: the full list does not tell architectures apart) ask on their own.
 */
async function planningFacts(ctx: ModuleContext, names: string[], latest: boolean, withCacheAge: boolean): Promise<AptFacts> {
  if (!ctx.whileUnchanged || latest || names.some((n) => n.includes(':'))) return probe(ctx, names, latest, withCacheAge);
  const shared = await readWhileUnchanged(ctx, 'apt packages', async () => ({ facts: await probe(ctx, 'all', false, true), at: Date.now() }));
  const { cacheAge } = shared.facts;
  // The cache's age as of now, not as of the shared query (seconds later, within one run).
  return { ...shared.facts, cacheAge: cacheAge === null ? null : cacheAge + Math.floor((Date.now() - shared.at) / 1000) };
}

async function probe(ctx: ModuleContext, names: string[] | 'all', latest: boolean, withCacheAge = false): Promise<AptFacts> {
  const result = await ctx.conn.run(probeCommand(names, latest, withCacheAge), { env: { ...ctx.env, LC_ALL: 'C' } });
  const [head, policy = ''] = result.stdout.split('@@policy\n');
  const runMarkers = [...head.matchAll(/^@@run (.*)$/gm)].map((m) => m[1]);
  const now = Number(/^@@now (\d+)$/m.exec(head)?.[1]);
  const stamps = [...head.matchAll(/^@@stamp (\d+)$/gm)].map((m) => Number(m[1]));
  const cacheAge = stamps.length && now ? now - Math.max(...stamps) : null;
  return { dpkg: parseDpkgQuery(head), policy: parseAptPolicy(policy), runMarkers, cacheAge };
}

/** Where the driver comes from the `.run`: the task var `nvidia_driver_from_run` or the installer's marks. */
function driverFromRun(ctx: ModuleContext, facts: AptFacts): string | undefined {
  const flag = ctx.vars.nvidia_driver_from_run;
  // An INI inventory gives strings: read them as Ansible reads booleans.
  if (flag === true || (typeof flag === 'string' && /^(true|yes|on|1)$/i.test(flag))) return 'nvidia_driver_from_run is true';
  return facts.runMarkers.length ? `${facts.runMarkers.join(' and ')} exist${facts.runMarkers.length > 1 ? '' : 's'}` : undefined;
}

function simulateCommand(args: AptArgs, specs: string[]): string {
  return shellCommand(APT_ENV, 'apt-get', 'install', '-s', '-q', ...(args.install_recommends ? [] : ['--no-install-recommends']), '--', ...specs);
}

/** Simulates the install (`apt-get install -s`): what apt would install, or a ModuleFailure with apt's own error text. */
async function simulate(ctx: ModuleContext, args: AptArgs, specs: string[]): Promise<SimulatedInstall[]> {
  const result = await ctx.conn.run(simulateCommand(args, specs), { env: ctx.env });
  if (result.rc !== 0) throw new ModuleFailure(`apt-get cannot install ${specs.join(' ')}: ${aptErrors(result.stderr, result.stdout)}`, { rc: result.rc, stderr: result.stderr });
  return parseSimulation(result.stdout);
}

/** The refusal when a simulated install drags a driver package in on a `.run` host, else undefined. */
function driverPull(args: AptArgs, specs: string[], installs: SimulatedInstall[], fromRun: string | undefined): string | undefined {
  const pulled = installs.filter((i) => isDriverPackage(i.name));
  if (!pulled.length || !fromRun || args.allow_driver_packages) return undefined;
  return (
    `refusing: installing ${specs.join(' ')} would pull the driver package${pulled.length > 1 ? 's' : ''} ${pulled.map((p) => p.name).join(', ')} ` +
    `as a dependency, but this host's NVIDIA driver comes from the .run installer (${fromRun}); set allow_driver_packages: true to allow it`
  );
}

function installChanges(installs: SimulatedInstall[], requested: Wanted[]): Change[] {
  return installs.map((i) => {
    const extra = requested.some((w) => w.name === i.name) ? '' : ' (dependency)';
    return { summary: i.replaces ? `upgrade ${i.name} ${i.replaces} -> ${i.version}${extra}` : `install ${i.name} ${i.version}${extra}` };
  });
}

/** Which packages need work for the state, and the words an ok result says about each. */
function todo(args: AptArgs, list: Wanted[], facts: AptFacts): { install: Wanted[]; remove: Wanted[]; fine: string[] } {
  const state = args.state ?? 'present';
  const install: Wanted[] = [];
  const remove: Wanted[] = [];
  const fine: string[] = [];
  for (const w of list) {
    const dpkg = facts.dpkg.get(w.name.split(':')[0]);
    if (state === 'absent') {
      if (dpkg?.installed || (args.purge && dpkg?.present)) remove.push(w);
      else fine.push(`${w.name} not installed`);
    } else if (state === 'latest') {
      const policy = facts.policy.get(w.name);
      if (!dpkg?.installed || (policy?.candidate && policy.candidate !== dpkg.version)) install.push(w);
      else fine.push(`${w.name} ${dpkg.version} is the newest candidate`);
    } else if (!dpkg?.installed || (w.version && dpkg.version !== w.version)) install.push(w);
    else fine.push(`${w.name} ${dpkg.version} installed`);
  }
  return { install, remove, fine };
}

function needsUpdate(args: AptArgs, facts: AptFacts, work: boolean): boolean {
  if (!args.update_cache || !work) return false;
  if (args.cache_valid_time === undefined || facts.cacheAge === null) return true;
  return facts.cacheAge > args.cache_valid_time;
}

async function planApt(ctx: ModuleContext, args: AptArgs): Promise<Plan<AptState>> {
  const list = wanted(args);
  const latest = args.state === 'latest';
  const facts = await planningFacts(ctx, list.map((w) => w.name), latest, args.update_cache === true);
  const fromRun = driverFromRun(ctx, facts);
  const { install, remove, fine } = todo(args, list, facts);
  const refused = install.filter((w) => isDriverPackage(w.name));
  if (refused.length && fromRun && !args.allow_driver_packages) {
    const names = refused.map((w) => w.name).join(', ');
    return { changes: [], fail: `refusing to install the driver package${refused.length > 1 ? 's' : ''} ${names}: this host's NVIDIA driver comes from the .run installer (${fromRun}); set allow_driver_packages: true to allow it` };
  }
  const update = needsUpdate(args, facts, install.length > 0 || latest || list.length === 0);
  const state: AptState = { update, install: install.map((w) => w.spec), remove: remove.map((w) => w.name) };
  const changes: Change[] = update ? [{ summary: 'update the apt cache (apt-get update)' }] : [];
  const repo = ctx.check ? ctx.planned?.get<string>(PLANNED_REPO, ctx.host) : undefined;
  if (install.length && !update && repo !== undefined) {
    // The package lists do not hold that repository yet: the real run simulates again after its update.
    changes.push(...install.map((w) => ({ summary: `install ${w.spec} (from repository ${repo}, which this run configures first)` })));
  } else if (install.length && !update) {
    const installs = await simulate(ctx, args, state.install);
    const refusal = driverPull(args, state.install, installs, fromRun);
    if (refusal) return { changes: [], fail: refusal, data: { would_install: installs.map((i) => i.name) } };
    changes.push(...installChanges(installs, install));
  } else changes.push(...install.map((w) => ({ summary: `install ${latest ? 'the newest ' : ''}${w.spec}` })));
  changes.push(...remove.map((w) => ({ summary: `${args.purge ? 'purge' : 'remove'} ${w.name} ${facts.dpkg.get(w.name)?.version ?? ''}`.trim() })));
  const reason = list.length ? fine.join(', ') : `apt cache updated ${facts.cacheAge} s ago (cache_valid_time ${args.cache_valid_time})`;
  return { changes, reason, state, data: { driver_from_run: Boolean(fromRun) } };
}

async function runApt(ctx: ModuleContext, words: string[], what: string): Promise<void> {
  const result = await ctx.conn.run(shellCommand(APT_ENV, 'apt-get', ...words), { env: ctx.env });
  if (result.rc !== 0) throw new ModuleFailure(`${what} failed (exit ${result.rc}): ${aptErrors(result.stderr, result.stdout)}`, { rc: result.rc, stdout: result.stdout, stderr: result.stderr });
}

async function applyApt(ctx: ModuleContext, args: AptArgs, state: AptState): Promise<Record<string, unknown>> {
  if (state.update) await aptUpdate(ctx);
  if (state.install.length) {
    // After a fresh update the dependency tree may differ from what planning saw: check it again.
    if (state.update) {
      const fromRun = driverFromRun(ctx, await probe(ctx, [], false));
      const refusal = driverPull(args, state.install, await simulate(ctx, args, state.install), fromRun);
      if (refusal) throw new ModuleFailure(refusal);
    }
    const recommends = args.install_recommends ? [] : ['--no-install-recommends'];
    const confs = ['-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold'];
    await runApt(ctx, ['install', '-y', '-q', ...LOCK_WAIT, ...confs, ...recommends, '--', ...state.install], `apt-get install ${state.install.join(' ')}`);
  }
  if (state.remove.length) {
    await runApt(ctx, ['remove', '-y', '-q', ...LOCK_WAIT, ...(args.purge ? ['--purge'] : []), '--', ...state.remove], `apt-get remove ${state.remove.join(' ')}`);
  }
  const after = (await probe(ctx, wanted(args).map((w) => w.name), false)).dpkg;
  return { cache_updated: state.update, versions: Object.fromEntries([...after.values()].filter((d) => d.installed).map((d) => [d.name, d.version])) };
}

/**
 * Debian packages present, absent or at the newest candidate; state from one dpkg-query. Refuses NVIDIA driver
 * packages, named or pulled in as dependencies, where the driver came from the `.run` installer.
 */
export const apt: Module<AptArgs, AptState> = {
  name: 'apt',
  schema: {
    type: 'object',
    description:
      'Debian packages present, absent or latest, decided by one dpkg-query. Where the NVIDIA driver came from the .run ' +
      '(/usr/bin/nvidia-installer or /var/lib/nvidia/log exists, or the variable nvidia_driver_from_run is true), driver ' +
      'packages (cuda, cuda-X-Y, cuda-drivers*, cuda-runtime-*, nvidia-driver-*, nvidia-utils-*, nvidia-kernel-*, ' +
      'libnvidia-*, ...) are refused, named or pulled in as a dependency (apt-get install -s), unless allow_driver_packages.',
    properties: {
      name: { anyOf: [PACKAGE, { type: 'array', items: PACKAGE }], description: 'Package or list; name=version asks for that version.' },
      state: { enum: ['present', 'absent', 'latest'], description: 'Default present; latest compares with apt-cache policy\'s candidate.' },
      update_cache: { type: 'boolean', description: 'apt-get update before installing (only when something is to be installed, or for latest, or with no name).' },
      cache_valid_time: { type: 'integer', minimum: 0, description: 'Seconds: update_cache skips a cache younger than this (use it with latest to keep re-runs ok).' },
      install_recommends: { type: 'boolean', description: 'Default false (--no-install-recommends).' },
      allow_driver_packages: { type: 'boolean', description: 'Allow driver packages on a host whose driver came from the .run.' },
      purge: { type: 'boolean', description: 'state=absent also removes configuration files.' },
    },
    allOf: [{ anyOf: [{ required: ['name'] }, isTrue('update_cache')], message: 'apt needs name, or update_cache: true' }],
    additionalProperties: false,
  },
  async plan(ctx, args) {
    return planApt(ctx, args);
  },
  async planFromTemplate(ctx, args, template) {
    const status = await template.read('/var/lib/dpkg/status');
    if (status === null || args.state === 'latest') return undefined;
    const facts: AptFacts = { dpkg: parseDpkgStatusFile(status.toString('utf8')), policy: new Map(), runMarkers: [], cacheAge: null };
    const { install, remove, fine } = todo(args, wanted(args), facts);
    const changes: Change[] = needsUpdate(args, facts, install.length > 0) ? [{ summary: 'update the apt cache (apt-get update)' }] : [];
    changes.push(...install.map((w) => ({ summary: `install ${w.spec}` })), ...remove.map((w) => ({ summary: `remove ${w.name}` })));
    return { changes, reason: `${fine.join(', ')} (in ${template.ostemplate})` };
  },
  async apply(ctx, args, plan) {
    return { data: await applyApt(ctx, args, plan.state!) };
  },
};
