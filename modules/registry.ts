import type { Module } from './types.js';

/** Every built-in module by name. Add a module by importing it and listing it here. */
const builtins: Module[] = [];

export const modules: ReadonlyMap<string, Module> = new Map(builtins.map((m) => [m.name, m]));

/** Ansible's fully-qualified names resolve to the same module (`ansible.builtin.copy` = `copy`). */
export function findModule(name: string): Module | undefined {
  return modules.get(name.replace(/^ansible\.(builtin|legacy)\./, ''));
}
