import { raw, shellCommand } from '../../interpreter/connection/quote.js';
import type { Connection } from '../../interpreter/connection/types.js';
import { ModuleFailure } from '../types.js';
import { formatMode, modeSchema, resolveMode, type ModeArg } from './mode.js';
import type { PathInfo } from './probe.js';

/** Ansible's common file arguments that phoenix supports. */
export interface AttributeArgs {
  mode?: ModeArg;
  owner?: string;
  group?: string;
}

/** Schema properties of {@link AttributeArgs}, to spread into a module's schema. */
export const attributeSchema = {
  mode: modeSchema,
  owner: { type: 'string' },
  group: { type: 'string' },
} as const;

/** The attributes to set on a path; empty when it already has them. */
export interface AttributeSet {
  mode?: number;
  owner?: string;
  group?: string;
}

/** What differs, as Ansible's diff shows it (`{mode: '0644'}` → `{mode: '0755'}`), and what to set. */
export interface AttributeDelta {
  set: AttributeSet;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
}

function sameId(wanted: string, name: string, id: number): boolean {
  return /^\d+$/.test(wanted) ? Number(wanted) === id : wanted === name;
}

/**
 * Compares the requested attributes with a path's current ones. `info` null means the path will be created with
 * `defaultMode`, so every requested attribute is part of the change.
 */
export function attributeDelta(info: PathInfo | null, args: AttributeArgs, defaultMode = 0o644): AttributeDelta {
  const delta: AttributeDelta = { set: {}, before: {}, after: {} };
  const isDir = info ? info.kind === 'directory' : defaultMode === 0o755;
  if (args.mode !== undefined && args.mode !== null) {
    const current = info ? info.mode : defaultMode;
    const wanted = resolveMode(args.mode, current, isDir);
    if (!info || wanted !== info.mode) {
      delta.set.mode = wanted;
      delta.before.mode = info ? formatMode(current) : undefined;
      delta.after.mode = formatMode(wanted);
    }
  }
  if (args.owner && (!info || !sameId(args.owner, info.owner, info.uid))) {
    delta.set.owner = args.owner;
    delta.before.owner = info?.owner;
    delta.after.owner = args.owner;
  }
  if (args.group && (!info || !sameId(args.group, info.group, info.gid))) {
    delta.set.group = args.group;
    delta.before.group = info?.group;
    delta.after.group = args.group;
  }
  return delta;
}

export function isEmptySet(set: AttributeSet): boolean {
  return set.mode === undefined && set.owner === undefined && set.group === undefined;
}

/** A short description: "mode 0644 → 0755, owner root → www-data". */
export function describeDelta(delta: AttributeDelta): string {
  return Object.keys(delta.after)
    .map((key) => (delta.before[key] === undefined ? `${key} ${delta.after[key]}` : `${key} ${delta.before[key]} → ${delta.after[key]}`))
    .join(', ');
}

/** One shell command that sets the attributes (chown before chmod: chown may clear setuid bits). */
export function attributeCommand(path: string, set: AttributeSet, noFollow = false): string | null {
  const parts: string[] = [];
  if (set.owner !== undefined || set.group !== undefined) {
    const spec = `${set.owner ?? ''}${set.group !== undefined ? `:${set.group}` : ''}`;
    parts.push(noFollow ? shellCommand('chown', '-h', spec, '--', path) : shellCommand('chown', spec, '--', path));
  }
  if (set.mode !== undefined) parts.push(shellCommand('chmod', formatMode(set.mode), '--', path));
  return parts.length ? parts.join(raw(' && ').text) : null;
}

/** Sets the attributes on a remote path; a failure (unknown user, permission) is a ModuleFailure. */
export async function applyAttributes(conn: Connection, path: string, set: AttributeSet, noFollow = false): Promise<void> {
  const command = attributeCommand(path, set, noFollow);
  if (!command) return;
  const result = await conn.run(command);
  if (result.rc !== 0) throw new ModuleFailure(`setting attributes of ${path} failed: ${result.stderr.trim()}`);
}
