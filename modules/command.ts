import { shellCommand } from '../interpreter/connection/quote.js';
import { applyCommand, commandRules, commandSchemaProperties, planCommand, type CommandArgs, type CommandLine } from './common/command-runner.js';
import { splitWords, WORDS_EXPECTED, WORDS_PATTERN } from './common/split-words.js';
import type { Module } from './types.js';

export interface CommandModuleArgs extends CommandArgs {
  argv?: string[];
}

/** Ansible's `command`: no shell; the free-form string is split into words (quotes group, nothing expands). */
export const command: Module<CommandModuleArgs, CommandLine> = {
  name: 'command',
  freeForm: 'cmd',
  schema: {
    type: 'object',
    properties: {
      ...commandSchemaProperties,
      cmd: { type: 'string', pattern: WORDS_PATTERN, expected: WORDS_EXPECTED },
      argv: { type: 'array', items: { type: 'string' } },
    },
    allOf: commandRules(true),
    additionalProperties: false,
  },
  async plan(ctx, args) {
    const words = args.argv?.length ? args.argv.map(String) : splitWords(args.cmd!);
    return planCommand(ctx, args, { line: shellCommand(...words), registered: words });
  },
  async apply(ctx, args, plan) {
    return applyCommand(ctx, args, plan.state!);
  },
};
