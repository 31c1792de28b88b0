import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { attributeSchema, type AttributeArgs } from './common/attributes.js';
import { applyContent, planContent, type ContentState } from './common/content.js';
import { validateSchema } from './common/write-file.js';
import { ModuleFailure, type Module } from './types.js';

export interface TemplateArgs extends AttributeArgs {
  src: string;
  dest: string;
  backup?: boolean;
  force?: boolean;
  validate?: string;
}

/** Ansible's `template`: a controller Handlebars file rendered with the task's variables, then written like copy. */
export const template: Module<TemplateArgs, ContentState> = {
  name: 'template',
  schema: {
    type: 'object',
    properties: {
      src: { type: 'string' },
      dest: { type: 'string' },
      backup: { type: 'boolean' },
      force: { type: 'boolean' },
      validate: validateSchema,
      ...attributeSchema,
    },
    required: ['src', 'dest'],
    additionalProperties: false,
  },
  async plan(ctx, args) {
    const path = ctx.resolvePath(args.src);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new ModuleFailure(`Could not find or access '${args.src}': ${(error as Error).message}`);
    }
    const rendered = ctx.renderTemplate(text, path);
    return planContent(ctx, { ...args, content: Buffer.from(rendered, 'utf8'), srcName: basename(args.src) });
  },
  async apply(ctx, _args, plan) {
    return applyContent(ctx, plan.state!);
  },
};
