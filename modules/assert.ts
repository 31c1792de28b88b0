import { exclusive } from './common/rules.js';
import { ModuleFailure, type Module, type ModuleContext } from './types.js';

export interface AssertArgs {
  that: unknown;
  fail_msg?: unknown;
  msg?: unknown;
  success_msg?: unknown;
  quiet?: boolean;
}

/** Jinja truthiness of an evaluated condition. */
function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (value && typeof value === 'object') return Object.keys(value).length > 0;
  return !!value;
}

function check(ctx: ModuleContext, condition: unknown): boolean {
  if (typeof condition === 'boolean') return condition;
  try {
    return truthy(ctx.evaluate(String(condition)));
  } catch (error) {
    throw new ModuleFailure(`The conditional check '${String(condition)}' failed. The error was: ${(error as Error).message}`);
  }
}

/** Ansible's `assert`: each `that` condition must hold; the first false one fails with fail_msg/msg. */
export const assert: Module<AssertArgs> = {
  name: 'assert',
  controllerOnly: true,
  rawArgs: ['that'],
  schema: {
    type: 'object',
    properties: {
      that: { type: ['string', 'array', 'boolean'] },
      fail_msg: { type: ['string', 'array'] },
      msg: { type: ['string', 'array'] },
      success_msg: { type: ['string', 'array'] },
      quiet: { type: 'boolean' },
    },
    required: ['that'],
    allOf: exclusive('fail_msg', 'msg'),
    additionalProperties: false,
  },
  async plan(ctx, args) {
    const conditions = Array.isArray(args.that) ? args.that : [args.that];
    for (const condition of conditions) {
      if (!check(ctx, condition)) {
        const msg = args.fail_msg ?? args.msg ?? 'Assertion failed';
        return { changes: [], fail: Array.isArray(msg) ? msg.join('\n') : String(msg), data: { assertion: condition, evaluated_to: false, msg } };
      }
    }
    const msg = args.success_msg ?? 'All assertions passed';
    return { changes: [], reason: `${conditions.length} assertion(s) passed`, data: { msg } };
  },
  async apply() {
    return {};
  },
};
