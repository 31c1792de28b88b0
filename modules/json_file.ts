import { posix } from 'node:path';
import { applyAttributes, attributeDelta, attributeSchema, describeDelta, isEmptySet, type AttributeArgs, type AttributeSet } from './common/attributes.js';
import { dirChanges, planDirs, type DirPlan } from './common/parents.js';
import { probeAndRead, type PathInfo } from './common/probe.js';
import { writeFile } from './common/write-file.js';
import { changedPaths, deepMerge, isJsonObject, type JsonObject } from './json_file/merge.js';
import { ModuleFailure, type Change, type Module, type ModuleContext, type Plan } from './types.js';

export interface JsonFileArgs extends AttributeArgs {
  path: string;
  merge: JsonObject;
}

/** Handed from planning to apply: the text to write (undefined: only attributes), what was there, the dirs to make. */
interface JsonFileState {
  text?: string;
  existing: PathInfo | null;
  attrs: AttributeSet;
  parents?: DirPlan;
}

/** nvidia-ctk and dockerd write daemon.json with 4 spaces; a file phoenix rewrites reads the same. */
const INDENT = 4;

/** The file's JSON object; a missing or empty file is `{}`. Anything else is a failure naming the file. */
async function readObject(ctx: ModuleContext, path: string): Promise<{ info: PathInfo | null; text: string | null; value: JsonObject }> {
  const { info, text } = await probeAndRead(ctx.conn, path);
  if (info && info.kind !== 'file') throw new ModuleFailure(`${path} is a ${info.kind}, not a JSON file`);
  if (text === null || text.trim() === '') return { info, text, value: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ModuleFailure(`${path} is not valid JSON (${(error as Error).message}): fix or remove it; phoenix does not overwrite it`);
  }
  if (!isJsonObject(value)) throw new ModuleFailure(`${path} holds JSON that is not an object: phoenix merges keys into an object only`);
  return { info, text, value };
}

async function planJsonFile(ctx: ModuleContext, args: JsonFileArgs): Promise<Plan<JsonFileState>> {
  const { path, merge } = args;
  const { info, text, value } = await readObject(ctx, path);
  const paths = changedPaths(value, merge);
  const delta = attributeDelta(info, args);
  const changes: Change[] = [];
  const state: JsonFileState = { existing: info, attrs: delta.set };
  if (paths.length) {
    state.text = `${JSON.stringify(deepMerge(value, merge), null, INDENT)}\n`;
    if (!info) state.parents = await planDirs(ctx.conn, posix.dirname(path), { mode: 0o755 });
    const attrs = isEmptySet(delta.set) ? '' : ` (${describeDelta(delta)})`;
    changes.push(...dirChanges(state.parents), {
      summary: `${info ? 'update' : 'create'} ${path}: set ${paths.join(', ')}${attrs}`,
      diff: { path, before: text ?? '', after: state.text },
    });
  } else if (!isEmptySet(delta.set)) {
    changes.push({ summary: `set ${describeDelta(delta)} on ${path}` });
  }
  if (changes.length) return { changes, state, data: { path, changed_keys: paths } };
  const attrs = args.mode !== undefined || args.owner || args.group ? ' and the requested attributes' : '';
  return { changes, reason: `${path} already has ${Object.keys(merge).join(', ') || 'every key'} as requested${attrs}`, data: { path, changed_keys: [] } };
}

/**
 * `json_file`: keys deep-merged into a JSON file (Docker's daemon.json): objects merge, other values replace, the
 * file's other keys stay. A file whose JSON already holds them is not touched (not even reformatted); otherwise it
 * is rewritten whole, 4-space indented, through a temp file and a rename, keeping its mode and owner.
 */
export const jsonFile: Module<JsonFileArgs, JsonFileState> = {
  name: 'json_file',
  schema: {
    type: 'object',
    description: 'Deep-merges `merge` into the JSON object in `path` (missing or empty file = {}): objects merge, '
      + 'arrays and scalars replace. Rewritten (4-space indent, temp file + rename, mode and owner kept) only when a value differs.',
    properties: {
      path: { type: 'string', pattern: '^/', expected: 'an absolute path' },
      merge: { type: 'object', description: 'The keys to set; nested objects merge into the file\'s.' },
      ...attributeSchema,
    },
    required: ['path', 'merge'],
    additionalProperties: false,
  },
  async plan(ctx, args) {
    return planJsonFile(ctx, args);
  },
  async apply(ctx, args, plan) {
    const { text, existing, attrs, parents } = plan.state!;
    if (text === undefined) await applyAttributes(ctx.conn, args.path, attrs);
    else await writeFile(ctx, args.path, text, attrs, existing, undefined, parents);
    return {};
  },
};
