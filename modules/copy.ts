import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { attributeSchema, type AttributeArgs } from './common/attributes.js';
import { applyContent, planContent, type ContentState } from './common/content.js';
import { exclusive, oneRequired } from './common/rules.js';
import { validateSchema } from './common/write-file.js';
import { ModuleFailure, type Module } from './types.js';

export interface CopyArgs extends AttributeArgs {
  src?: string;
  content?: unknown;
  dest: string;
  backup?: boolean;
  force?: boolean;
  validate?: string;
}

/** Reads `src` from the controller, or serializes `content` (non-strings become JSON, as in Ansible); the schema wants one. */
async function source(resolve: (p: string) => string, args: CopyArgs): Promise<{ data: Buffer; name?: string }> {
  if (args.content !== undefined) {
    const text = typeof args.content === 'string' ? args.content : JSON.stringify(args.content);
    return { data: Buffer.from(text, 'utf8') };
  }
  const path = resolve(args.src!);
  try {
    if ((await stat(path)).isDirectory()) throw new ModuleFailure(`src ${args.src} is a directory: recursive copy is not supported`);
    return { data: await readFile(path), name: basename(path) };
  } catch (error) {
    if (error instanceof ModuleFailure) throw error;
    throw new ModuleFailure(`could not find src=${path}, ${(error as Error).message}`);
  }
}

/** Ansible's `copy`: a controller file or inline content to a remote path, compared by sha1. */
export const copy: Module<CopyArgs, ContentState> = {
  name: 'copy',
  schema: {
    type: 'object',
    properties: {
      src: { type: 'string' },
      content: {},
      dest: { type: 'string' },
      backup: { type: 'boolean' },
      force: { type: 'boolean' },
      validate: validateSchema,
      ...attributeSchema,
    },
    required: ['dest'],
    allOf: [
      ...exclusive('src', 'content'),
      oneRequired(['src', 'content'], 'src (or content) is required'),
      // A dest that is an existing directory is found on the host (common/content.ts); one written with / here.
      { not: { required: ['content', 'dest'], properties: { dest: { pattern: '/$' } } }, message: 'can not use content with a dir as dest' },
    ],
    additionalProperties: false,
  },
  async plan(ctx, args) {
    const src = await source((p) => ctx.resolvePath(p), args);
    return planContent(ctx, { ...args, content: src.data, srcName: src.name });
  },
  async apply(ctx, _args, plan) {
    return applyContent(ctx, plan.state!);
  },
};
