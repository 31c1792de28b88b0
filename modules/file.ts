import { posix } from 'node:path';
import { raw, shellCommand } from '../interpreter/connection/quote.js';
import { aliasExclusions, aliasProperties, normalizeAliases, requireAny } from './common/aliases.js';
import { when } from './common/rules.js';
import { applyAttributes, attributeCommand, attributeDelta, attributeSchema, describeDelta, isEmptySet, type AttributeArgs, type AttributeSet } from './common/attributes.js';
import { stateDiff } from './common/state-diff.js';
import { formatMode, resolveMode } from './common/mode.js';
import { probeMissingDirs } from './common/parents.js';
import { probePath, probePaths, type PathInfo } from './common/probe.js';
import { runChecked } from './common/run-checked.js';
import { ModuleFailure, type Change, type Module, type ModuleContext, type Plan } from './types.js';

type FileState = 'file' | 'directory' | 'absent' | 'touch' | 'link' | 'hard';
type PrevState = 'absent' | 'file' | 'directory' | 'link' | 'hard';

export interface FileArgs extends AttributeArgs {
  path: string;
  state?: FileState;
  src?: string;
  recurse?: boolean;
  force?: boolean;
  follow?: boolean;
}

/** The steps apply runs, in order: each is one shell command built from quoted parts. */
interface FileWork {
  commands: Array<{ command: string; what: string }>;
  attrs?: { path: string; set: AttributeSet; noFollow?: boolean };
}

const ALIASES = { path: ['dest', 'name'] };

const RECURSE_NEEDS_DIRECTORY = "recurse option requires state to be 'directory'";
const SRC_NEEDS_LINK = "src option requires state to be 'link' or 'hard'";

/** Ansible's get_state: a symlink is `link`, a file with several links is `hard`, anything else not a dir is `file`. */
function prevState(info: PathInfo | null): PrevState {
  if (!info) return 'absent';
  if (info.kind === 'link') return 'link';
  if (info.kind === 'directory') return 'directory';
  return (info.nlink ?? 1) > 1 ? 'hard' : 'file';
}

interface Target {
  path: string;
  info: PathInfo | null;
  prev: PrevState;
  /** For state=link: the link source, probed in the same command as the path (one round trip per no-op task). */
  linkSrc?: { path: string; info: PathInfo | null };
}

/** Where the module acts; with `follow`, a symlink is replaced by its target for file/directory states. */
async function target(ctx: ModuleContext, args: FileArgs, state: FileState | undefined): Promise<Target> {
  let path = args.path;
  if (state === 'link' && args.src !== undefined) {
    // The usual case: src resolves against the link's directory. (A directory at path is rare: planLink probes again.)
    const srcPath = posix.resolve(posix.dirname(path), args.src);
    const [dest, src] = await probePaths(ctx.conn, [
      { path, options: { basic: 'except-files' } }, { path: srcPath, options: { follow: true, basic: true } },
    ]);
    if (dest instanceof ModuleFailure) throw dest;
    return { path, info: dest, prev: prevState(dest), ...(src instanceof ModuleFailure ? {} : { linkSrc: { path: srcPath, info: src } }) };
  }
  // A regular file's link count tells 'file' from 'hard': only directories and absent paths are taken over SFTP.
  let info = await probePath(ctx.conn, path, { basic: 'except-files' });
  if (args.follow !== false && info?.kind === 'link' && (state === 'file' || state === 'directory' || state === 'touch')) {
    path = info.linkSource!;
    info = await probePath(ctx.conn, path);
  }
  return { path, info, prev: prevState(info) };
}

function ok(reason: string, data: Record<string, unknown>): Plan<FileWork> {
  return { changes: [], reason, data };
}

function withAttrs(t: Target, args: FileArgs, state: FileState, base: Change[], work: FileWork, defaultMode: number): Plan<FileWork> {
  const delta = attributeDelta(t.info, args, defaultMode);
  const changes = [...base];
  if (!isEmptySet(delta.set)) {
    work.attrs = { path: t.path, set: delta.set };
    if (t.info) changes.push({ summary: `set ${describeDelta(delta)} on ${t.path}`, diff: stateDiff(t.path, delta.before, delta.after) });
  }
  const data: Record<string, unknown> = { path: t.path, state };
  if (t.info) Object.assign(data, { mode: formatMode(delta.set.mode ?? t.info.mode), owner: t.info.owner, group: t.info.group, uid: t.info.uid, gid: t.info.gid, size: t.info.size });
  if (changes.length) return { changes, state: work, data };
  const attrs = args.mode !== undefined || args.owner || args.group ? ' with the requested attributes' : '';
  return ok(`${t.path} is already a ${state === 'touch' ? 'file' : state}${attrs}`, data);
}

function planAbsent(t: Target): Plan<FileWork> {
  if (t.prev === 'absent') return ok(`${t.path} is already absent`, { path: t.path, state: 'absent' });
  const rm = t.prev === 'directory' ? shellCommand('rm', '-rf', '--', t.path) : shellCommand('rm', '-f', '--', t.path);
  return {
    changes: [{ summary: `remove ${t.prev} ${t.path}`, diff: stateDiff(t.path, { state: t.prev }, { state: 'absent' }) }],
    state: { commands: [{ command: rm, what: `removing ${t.path}` }] },
    data: { path: t.path, state: 'absent' },
  };
}

function planFile(t: Target, args: FileArgs): Plan<FileWork> {
  if (t.prev !== 'file' && t.prev !== 'hard') throw new ModuleFailure(`file (${t.path}) is ${t.prev}, cannot continue`, { path: t.path, state: t.prev });
  return withAttrs(t, args, 'file', [], { commands: [] }, 0o644);
}

/** mkdir of each missing ancestor, with the attributes applied to each new directory as Ansible does. */
function mkdirCommand(path: string, args: FileArgs): string {
  const parts = path.split('/').filter((p) => p !== '');
  const steps: string[] = [];
  let current = path.startsWith('/') ? '' : '.';
  for (const part of parts) {
    current = current === '' ? `/${part}` : `${current}/${part}`;
    const attrs = attributeCommand(current, explicitMode(attributeDelta(null, args, 0o755).set, 0o755));
    // `mkdir ... 2>/dev/null || test -d`: another host of the same run may create the directory between test and mkdir.
    steps.push(`${shellCommand(raw('if ! test -d'), current, raw('; then { mkdir --'), current, raw('2>/dev/null || test -d'), current, raw('; }'))}${attrs ? ` && ${attrs}` : ''}; fi`);
  }
  return steps.join(' && ');
}

async function planDirectory(ctx: ModuleContext, t: Target, args: FileArgs): Promise<Plan<FileWork>> {
  if (t.prev === 'absent') {
    return {
      changes: [{ summary: `create directory ${t.path}`, diff: stateDiff(t.path, { state: 'absent' }, { state: 'directory' }) }],
      state: { commands: [{ command: mkdirCommand(t.path, args), what: `creating ${t.path}` }] },
      data: { path: t.path, state: 'directory' },
    };
  }
  if (t.prev !== 'directory') throw new ModuleFailure(`${t.path} already exists as a ${t.prev}`, { path: t.path });
  const work: FileWork = { commands: [] };
  const base: Change[] = [];
  if (args.recurse && (args.mode !== undefined || args.owner || args.group)) {
    const recursive = await planRecursive(ctx, t.path, args);
    if (recursive) {
      base.push({ summary: `set ${recursive.summary} recursively under ${t.path}` });
      work.commands.push(...recursive.commands);
    }
  }
  return withAttrs(t, args, 'directory', base, work, 0o755);
}

/** One `find` lists the distinct (type, mode, owner, group) combinations below the directory. */
async function planRecursive(ctx: ModuleContext, path: string, args: FileArgs): Promise<{ summary: string; commands: FileWork['commands'] } | null> {
  const listing = shellCommand('find', path, '-mindepth', '1', '!', '-type', 'l', '-printf', '%y %m %u %U %g %G\\n', raw('| sort -u'));
  const result = await runChecked(ctx.conn, listing, `listing ${path}`);
  const needs = { mode: false, owner: false, group: false };
  for (const line of result.stdout.split('\n').filter(Boolean)) {
    const [kind, mode, user, uid, group, gid] = line.split(' ');
    const current = parseInt(mode, 8);
    if (args.mode !== undefined && resolveMode(args.mode, current, kind === 'd') !== current) needs.mode = true;
    if (args.owner && args.owner !== user && args.owner !== uid) needs.owner = true;
    if (args.group && args.group !== group && args.group !== gid) needs.group = true;
  }
  const commands: FileWork['commands'] = [];
  const what: string[] = [];
  if (needs.owner || needs.group) {
    const spec = `${needs.owner ? args.owner : ''}${needs.group ? `:${args.group}` : ''}`;
    commands.push({ command: shellCommand('chown', '-R', spec, '--', path), what: `chown -R ${path}` });
    what.push(`owner/group ${spec}`);
  }
  if (needs.mode) {
    const mode = typeof args.mode === 'number' ? formatMode(args.mode) : String(args.mode);
    commands.push({ command: shellCommand('chmod', '-R', mode, '--', path), what: `chmod -R ${path}` });
    what.push(`mode ${mode}`);
  }
  return commands.length ? { summary: what.join(', '), commands } : null;
}

/**
 * A file or directory phoenix creates gets an explicit mode even when the task names none: `touch`/`mkdir` alone
 * follow the umask, which gave world-writable 0666/0777 under umask 0. Existing paths are left as they are.
 */
function explicitMode(set: AttributeSet, mode: number): AttributeSet {
  return set.mode === undefined ? { ...set, mode } : set;
}

function planTouch(t: Target, args: FileArgs): Plan<FileWork> {
  const delta = attributeDelta(t.info, args, 0o644);
  if (!t.info) delta.set = explicitMode(delta.set, 0o644);
  const work: FileWork = { commands: [{ command: shellCommand('touch', '--', t.path), what: `touching ${t.path}` }] };
  if (!isEmptySet(delta.set)) work.attrs = { path: t.path, set: delta.set };
  const summary = t.prev === 'absent' ? `create empty file ${t.path}` : `update the timestamps of ${t.path}`;
  const changes: Change[] = [{ summary, diff: stateDiff(t.path, { state: t.prev }, { state: 'touch' }) }];
  if (t.info && !isEmptySet(delta.set)) changes.push({ summary: `set ${describeDelta(delta)} on ${t.path}` });
  // Ansible reports touch as changed every time: the timestamps always move.
  return { changes, state: work, data: { path: t.path, state: 'touch' } };
}

/**
 * Touch and links fail, as in Ansible, when the path's directory does not exist (only state=directory creates
 * directories): the failure then says which directory is missing and what to do. Asked only after a failure.
 */
async function whyMissing(ctx: ModuleContext, path: string, failure: ModuleFailure): Promise<ModuleFailure> {
  if (!/No such file or directory/.test(failure.message)) return failure;
  const missing = await probeMissingDirs(ctx.conn, posix.dirname(path)).catch(() => []);
  if (missing.length === 0) return failure;
  return new ModuleFailure(`${failure.message} (the directory ${posix.dirname(path)} does not exist: the file module creates ` +
    `directories only with state=directory; add a task with path=${posix.dirname(path)} state=directory before this one)`,
  failure.data);
}

/** Link states share their preconditions with Ansible's ensure_symlink/ensure_hardlink. */
async function planLink(ctx: ModuleContext, t: Target, args: FileArgs): Promise<Plan<FileWork>> {
  let src = args.src;
  if (src === undefined && t.prev === 'link') src = t.info!.linkTarget;
  if (src === undefined) throw new ModuleFailure('src is required for creating new symlinks');
  const base = t.info?.kind === 'directory' ? t.path : posix.dirname(t.path);
  const absrc = posix.resolve(base, src);
  const srcInfo = t.linkSrc?.path === absrc ? t.linkSrc.info : await probePath(ctx.conn, absrc, { follow: true });
  if (!args.force && !srcInfo) {
    throw new ModuleFailure(`src file does not exist, use "force=yes" if you really want to create the link: ${absrc}`, { path: t.path, src });
  }
  if (t.prev === 'directory') {
    if (!args.force) throw new ModuleFailure(`refusing to convert from directory to symlink for ${t.path}`, { path: t.path });
    const empty = await ctx.conn.run(shellCommand('find', t.path, '-mindepth', '1', '-print', '-quit'));
    if (empty.stdout.trim() !== '') throw new ModuleFailure(`the directory ${t.path} is not empty, refusing to convert it`, { path: t.path });
  } else if ((t.prev === 'file' || t.prev === 'hard') && !args.force) {
    throw new ModuleFailure(`refusing to convert from ${t.prev} to symlink for ${t.path}`, { path: t.path });
  }
  const data = { dest: t.path, src, state: 'link' };
  const work: FileWork = { commands: [] };
  const changes: Change[] = [];
  if (t.prev !== 'link' || t.info!.linkTarget !== src) {
    const before = t.prev === 'link' ? { src: t.info!.linkTarget } : { state: t.prev };
    const after = t.prev === 'link' ? { src } : { state: 'link' };
    changes.push({ summary: `link ${t.path} -> ${src}`, diff: stateDiff(t.path, before, after) });
    const rmdir = t.prev === 'directory' ? `${shellCommand('rmdir', '--', t.path)} && ` : '';
    work.commands.push({ command: rmdir + shellCommand('ln', '-sfn', '--', src, t.path), what: `linking ${t.path}` });
  }
  if (srcInfo && args.follow !== false) {
    const delta = attributeDelta(srcInfo, args);
    if (!isEmptySet(delta.set)) {
      changes.push({ summary: `set ${describeDelta(delta)} on ${absrc}` });
      work.attrs = { path: absrc, set: delta.set };
    }
  }
  if (changes.length) return { changes, state: work, data };
  return ok(`${t.path} already links to ${src}`, data);
}

async function planHard(ctx: ModuleContext, t: Target, args: FileArgs): Promise<Plan<FileWork>> {
  if (t.prev !== 'hard' && args.src === undefined) throw new ModuleFailure('src is required for creating new hardlinks');
  const src = args.src;
  const srcInfo = src === undefined ? null : await probePath(ctx.conn, src, { follow: true });
  if (src !== undefined && !srcInfo) throw new ModuleFailure('src does not exist', { dest: t.path, src });
  const data = { dest: t.path, src, state: 'hard' };
  let relink = false;
  if (t.prev === 'absent') relink = true;
  else if (t.prev === 'link') relink = t.info!.linkTarget !== src;
  else if (t.prev === 'hard') {
    relink = srcInfo !== null && !(srcInfo.inode === t.info!.inode && srcInfo.dev === t.info!.dev);
    if (relink && !args.force) throw new ModuleFailure('Cannot link, different hard link exists at destination', { dest: t.path, src });
  } else if (t.prev === 'file') {
    // Ansible does not compare inodes of a single-link file: it is always replaced, and only with force.
    relink = true;
    if (!args.force) throw new ModuleFailure('Cannot link, file exists at destination', { dest: t.path, src });
  } else throw new ModuleFailure(`Cannot link: ${t.path} is a directory`, { dest: t.path, src });
  const work: FileWork = { commands: [] };
  const changes: Change[] = [];
  if (relink) {
    changes.push({ summary: `hard link ${t.path} to ${src}`, diff: stateDiff(t.path, { state: t.prev }, { state: 'hard' }) });
    // Link to a temp name, then rename over the path: atomic, and works when src already is the path.
    const temp = posix.join(posix.dirname(t.path), `.${posix.basename(t.path)}.phoenix-link`);
    const command = `${shellCommand('ln', '-f', '--', src!, temp)} && ${shellCommand('mv', '-f', '--', temp, t.path)}`;
    work.commands.push({ command, what: `linking ${t.path}` });
  }
  const attrBase = relink ? srcInfo : t.info;
  const delta = attributeDelta(attrBase, args);
  if (!isEmptySet(delta.set)) {
    changes.push({ summary: `set ${describeDelta(delta)} on ${t.path}` });
    work.attrs = { path: t.path, set: delta.set };
  }
  if (changes.length) return { changes, state: work, data };
  return ok(`${t.path} is already a hard link to ${src ?? 'its file'}`, data);
}

/** Ansible's `file`: state file|directory|absent|touch|link|hard with mode/owner/group, planned from one stat. */
export const file: Module<FileArgs, FileWork> = {
  name: 'file',
  schema: {
    type: 'object',
    properties: aliasProperties(
      {
        path: { type: 'string' },
        state: { enum: ['file', 'directory', 'absent', 'touch', 'link', 'hard'] },
        src: { type: 'string' },
        recurse: { type: 'boolean' },
        force: { type: 'boolean' },
        follow: { type: 'boolean' },
        ...attributeSchema,
      },
      ALIASES,
    ),
    ...requireAny('path', ALIASES),
    allOf: [
      ...aliasExclusions(ALIASES),
      when({ required: ['recurse', 'state'], properties: { recurse: { type: 'boolean', const: true } } },
        { properties: { state: { const: 'directory' } } }, RECURSE_NEEDS_DIRECTORY),
      when({ required: ['src', 'state'] }, { properties: { state: { enum: ['link', 'hard'] } } }, SRC_NEEDS_LINK),
    ],
    additionalProperties: false,
  },
  async plan(ctx, rawArgs) {
    const args = normalizeAliases<FileArgs>(rawArgs as unknown as Record<string, unknown>, ALIASES);
    const t = await target(ctx, args, args.state);
    const state: FileState = args.state ?? (t.prev !== 'absent' ? (t.prev as FileState) : args.recurse ? 'directory' : 'file');
    if (args.state === undefined) {
      // A state given is checked against recurse and src by the schema; one that comes from the path only here.
      if (args.recurse && state !== 'directory') throw new ModuleFailure(RECURSE_NEEDS_DIRECTORY, { path: args.path });
      if (args.src !== undefined && state !== 'link' && state !== 'hard') throw new ModuleFailure(SRC_NEEDS_LINK, { path: args.path });
    }
    switch (state) {
      case 'absent': return planAbsent(t);
      case 'file': return planFile(t, args);
      case 'directory': return planDirectory(ctx, t, args);
      case 'touch': return planTouch(t, args);
      case 'link': return planLink(ctx, t, args);
      case 'hard': return planHard(ctx, t, args);
    }
  },
  async apply(ctx, _args, plan) {
    const work = plan.state!;
    const path = String(plan.data?.path ?? plan.data?.dest ?? '');
    for (const step of work.commands) {
      await runChecked(ctx.conn, step.command, step.what)
        .catch(async (e: unknown) => { throw e instanceof ModuleFailure && path ? await whyMissing(ctx, path, e) : e; });
    }
    if (work.attrs) await applyAttributes(ctx.conn, work.attrs.path, work.attrs.set, work.attrs.noFollow);
    return {};
  },
};
