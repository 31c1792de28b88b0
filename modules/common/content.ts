import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { shellCommand } from '../../interpreter/connection/quote.js';
import type { FileDiff } from '../../interpreter/result.js';
import { ModuleFailure, type ApplyResult, type Change, type ModuleContext, type Plan } from '../types.js';
import { applyAttributes, attributeDelta, describeDelta, isEmptySet, type AttributeArgs, type AttributeSet } from './attributes.js';
import { formatMode } from './mode.js';
import { dirChanges, planDirs, type DirPlan } from './parents.js';
import { probePath, type PathInfo } from './probe.js';
import { runChecked } from './run-checked.js';
import { writeFile } from './write-file.js';

/** What copy and template share: put exact bytes at `dest` with attributes. */
export interface ContentRequest extends AttributeArgs {
  dest: string;
  content: Buffer;
  /** Controller file name, used when `dest` is a directory. */
  srcName?: string;
  /** false: never replace an existing file. */
  force?: boolean;
  backup?: boolean;
  /** Ansible's `validate`: a command with `%s` run on the new file before it replaces `dest`. */
  validate?: string;
}

/** Handed from planContent to applyContent. */
export interface ContentState {
  dest: string;
  content: Buffer;
  writeContent: boolean;
  /** Mode/owner/group for the written file, or to set on the unchanged one. */
  attrs: AttributeSet;
  existing: PathInfo | null;
  /** The directories a dest ending in `/` needs (Ansible's copy creates them). */
  parents?: DirPlan;
  backup: boolean;
  validate?: string;
}

/** Diffs larger than this are not shown (Ansible's max_diff_size is 100 KB too). */
const MAX_DIFF = 100_000;

export function sha1(data: Buffer | string): string {
  return createHash('sha1').update(data).digest('hex');
}

interface Dest {
  dest: string;
  /** The file, or a symlink's target (whose mode and owner a replacement keeps). */
  info: PathInfo | null;
  /** `dest` is a symlink: Ansible (follow: no) replaces the link itself with a file. */
  link: boolean;
  parents?: DirPlan;
}

/** Describes `path` without following it; for a symlink, also its target. */
async function probeDest(ctx: ModuleContext, path: string): Promise<{ info: PathInfo | null; link: boolean }> {
  const info = await probePath(ctx.conn, path, { checksum: 'sha1', basic: true });
  if (info?.kind !== 'link') return { info, link: false };
  return { info: await probePath(ctx.conn, path, { follow: true, checksum: 'sha1', basic: true }), link: true };
}

/** Where the file goes: inside `dest` when it is (or links to) a directory or ends with `/`. */
async function resolveDest(ctx: ModuleContext, req: ContentRequest): Promise<Dest> {
  const trailing = req.dest.endsWith('/');
  const probed = trailing ? { info: null, link: false } : await probeDest(ctx, req.dest);
  if (!trailing && probed.info?.kind !== 'directory') return { dest: req.dest, ...probed };
  if (!req.srcName) throw new ModuleFailure('can not use content with a dir as dest');
  const dir = req.dest.replace(/\/+$/, '') || '/';
  const dest = posix.join(dir, req.srcName);
  const dirInfo = trailing ? await probePath(ctx.conn, dir, { follow: true, basic: true }) : probed.info;
  if (dirInfo && dirInfo.kind !== 'directory') throw new ModuleFailure(`Destination ${dir} is not a directory`);
  if (dirInfo) return { dest, ...await probeDest(ctx, dest) };
  // Ansible makes the directories (with the task's owner and group; phoenix gives them an explicit 0755 too).
  const parents = await planDirs(ctx.conn, dir, { mode: 0o755, owner: req.owner, group: req.group });
  return { dest, info: null, link: false, parents };
}

/** A text diff of the file content; binary or huge files get a placeholder so diffs stay readable. */
async function contentDiff(ctx: ModuleContext, dest: string, info: PathInfo | null, after: Buffer): Promise<FileDiff> {
  const before = info ? await ctx.conn.get(dest) : Buffer.alloc(0);
  const show = (data: Buffer | null) =>
    data === null ? '' : data.length > MAX_DIFF ? '(file too large to diff)\n' : data.includes(0) ? '(binary file)\n' : data.toString('utf8');
  return { path: dest, before: show(before), after: show(after) };
}

async function checkParent(ctx: ModuleContext, dest: string): Promise<void> {
  const parent = posix.dirname(dest);
  const info = await probePath(ctx.conn, parent, { follow: true, basic: true });
  if (info?.kind === 'directory') return;
  // Ansible's message first; copy and template create the directory only when dest ends with '/'.
  const what = info ? `is a ${info.kind}, not a directory` : 'does not exist';
  throw new ModuleFailure(`Destination directory ${parent} ${what}` + (info ? '' : `: create it first (file: path=${parent} ` +
    `state=directory) or end dest with '/' (dest: ${parent}/) to have it created`), { dest });
}

/** Plans writing `content` to `dest`: compares sha1 and attributes; reads the old content only for the diff. */
export async function planContent(ctx: ModuleContext, req: ContentRequest): Promise<Plan<ContentState>> {
  const { dest, info, link, parents } = await resolveDest(ctx, req);
  if (info && info.kind !== 'file') throw new ModuleFailure(`${dest} exists and is a ${info.kind}, not a file`);
  const checksum = sha1(req.content);
  const md5sum = createHash('md5').update(req.content).digest('hex');
  const data: Record<string, unknown> = { dest, checksum, md5sum, size: req.content.length, state: 'file' };
  const exists = info !== null || link;
  const writeContent = !exists || (req.force !== false && (link || info!.checksum !== checksum));
  const delta = attributeDelta(info, req, 0o644);
  const state: ContentState = { dest, content: req.content, writeContent, attrs: delta.set, existing: info, parents, backup: !!req.backup, validate: req.validate };
  const changes: Change[] = [...dirChanges(parents)];
  if (writeContent) {
    if (!exists && !parents) await checkParent(ctx, dest);
    const verb = link ? 'replace the symlink' : info ? 'update' : 'create';
    const attrs = isEmptySet(delta.set) ? '' : ` (${describeDelta(delta)})`;
    changes.push({ summary: `${verb} ${dest}${attrs}`, diff: await contentDiff(ctx, dest, info, req.content) });
  } else if (!isEmptySet(delta.set)) {
    changes.push({ summary: `set ${describeDelta(delta)} on ${dest}` });
  }
  if (info) Object.assign(data, { mode: formatMode(delta.set.mode ?? info.mode), owner: delta.set.owner ?? info.owner, group: delta.set.group ?? info.group });
  if (changes.length) return { changes, state, data };
  const reason = link || info?.checksum !== checksum ? `${dest} exists and force is no` : `${dest} already has the requested content${req.mode !== undefined || req.owner || req.group ? ' and attributes' : ''}`;
  return { changes, reason, state, data };
}

/** Ansible's backup name: `dest.<pid>.<YYYY-MM-DD@HH:MM:SS>~`, made with `cp -p` on the host. */
export async function backupFile(ctx: ModuleContext, dest: string): Promise<string> {
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}@${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`;
  const backup = `${dest}.${process.pid}.${stamp}~`;
  await runChecked(ctx.conn, shellCommand('cp', '-p', '--', dest, backup), `backup of ${dest}`);
  return backup;
}

/** Writes the planned content (temp + rename through the connection) and attributes. */
export async function applyContent(ctx: ModuleContext, state: ContentState): Promise<ApplyResult> {
  const { dest, existing, attrs } = state;
  const data: Record<string, unknown> = {};
  if (state.writeContent) {
    if (state.backup && existing) data.backup_file = await backupFile(ctx, dest);
    await writeFile(ctx, dest, state.content, attrs, existing, state.validate, state.parents);
  } else {
    await applyAttributes(ctx.conn, dest, attrs);
  }
  return { data };
}
