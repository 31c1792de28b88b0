import type { Module } from './types.js';

export interface FailArgs {
  msg?: unknown;
}

/** Ansible's `fail`: fails the task with `msg`. */
export const fail: Module<FailArgs> = {
  name: 'fail',
  controllerOnly: true,
  schema: { type: 'object', properties: { msg: {} }, additionalProperties: false },
  async plan(_ctx, args) {
    const msg = args.msg === undefined ? 'Failed as requested from task' : typeof args.msg === 'string' ? args.msg : JSON.stringify(args.msg);
    return { changes: [], fail: msg, data: { msg: args.msg ?? msg } };
  },
  async apply() {
    return {};
  },
};
