import { PhoenixError } from '../interpreter/errors.js';
import type { Module } from './types.js';

export interface DebugArgs {
  msg?: unknown;
  var?: string;
  verbosity?: number;
}

/** Ansible's `debug`: shows `msg` (default "Hello world!") or the value of `var`; never changed. */
export const debug: Module<DebugArgs> = {
  name: 'debug',
  controllerOnly: true,
  // `var` is an expression to evaluate, not a template to render first.
  rawArgs: ['var'],
  schema: {
    type: 'object',
    properties: { msg: {}, var: { type: 'string' }, verbosity: { type: 'integer', minimum: 0 } },
    allOf: [{ not: { required: ['msg', 'var'] }, message: "'msg' and 'var' are incompatible options" }],
    additionalProperties: false,
  },
  async plan(ctx, args) {
    const level = Number(ctx.vars.ansible_verbosity ?? 0);
    if ((args.verbosity ?? 0) > level) {
      return { changes: [], reason: 'Verbosity threshold not met.', data: { skipped: true, skipped_reason: 'Verbosity threshold not met.' } };
    }
    if (args.var === undefined) {
      const msg = args.msg ?? 'Hello world!';
      return { changes: [], reason: 'debug shows a message', data: { msg } };
    }
    let value: unknown;
    try {
      value = ctx.evaluate(args.var);
    } catch (error) {
      if (!(error instanceof PhoenixError && error.code === 'E_UNDEFINED_VAR')) throw error;
      value = 'VARIABLE IS NOT DEFINED!';
    }
    return { changes: [], reason: `debug shows ${args.var}`, data: { [args.var]: value } };
  },
  async apply() {
    return {};
  },
};
