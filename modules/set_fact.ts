import type { Module } from './types.js';

/** Ansible's `set_fact`: every argument becomes a host variable; `cacheable` is accepted and ignored. */
export const setFact: Module<Record<string, unknown>> = {
  name: 'set_fact',
  controllerOnly: true,
  schema: {
    type: 'object',
    propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$', expected: 'a variable name: a letter or _, then letters, digits or _' },
    minProperties: 1,
    additionalProperties: true,
  },
  async plan(_ctx, args) {
    const facts: Record<string, unknown> = { ...args };
    delete facts.cacheable;
    const names = Object.keys(facts);
    return { changes: [], reason: `set ${names.join(', ')}`, facts, data: { ansible_facts: facts } };
  },
  async apply() {
    return {};
  },
};
