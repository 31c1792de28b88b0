import { shellCommand } from '../interpreter/connection/quote.js';
import { applyCommand, commandRules, commandSchemaProperties, planCommand, type CommandArgs, type CommandLine } from './common/command-runner.js';
import type { Module } from './types.js';

export interface ShellArgs extends CommandArgs {
  executable?: string;
}

/** Ansible's `shell`: the user's own shell code, run by `/bin/sh -c` (or `executable -c`). */
export const shell: Module<ShellArgs, CommandLine> = {
  name: 'shell',
  freeForm: 'cmd',
  schema: {
    type: 'object',
    properties: { ...commandSchemaProperties, executable: { type: 'string' } },
    allOf: commandRules(false),
    additionalProperties: false,
  },
  async plan(ctx, args) {
    const line = shellCommand(args.executable ?? '/bin/sh', '-c', args.cmd!);
    return planCommand(ctx, args, { line, registered: args.cmd! });
  },
  async apply(ctx, args, plan) {
    return applyCommand(ctx, args, plan.state!);
  },
};
