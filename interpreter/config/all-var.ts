import type { SourcePosition } from '../errors.js';
import type { Inventory } from '../inventory/types.js';

/** Where a variable of `all` was found: its value, the line that sets it, and the object holding it (to rewrite it). */
export interface AllVar {
  value: unknown;
  pos?: SourcePosition;
  holder: Record<string, unknown>;
}

/** A variable of `all` as Ansible would resolve it: inline vars < group_vars/all beside the inventory < beside the playbook. */
export function allVar(inventory: Inventory, name: string): AllVar | undefined {
  let found: AllVar | undefined;
  const all = inventory.groups.get('all');
  if (all && Object.hasOwn(all.vars, name)) found = { value: all.vars[name], pos: all.varPositions[name], holder: all.vars };
  const layers = [...inventory.varsLayers.filter((l) => l.origin === 'inventory'), ...inventory.varsLayers.filter((l) => l.origin === 'playbook')];
  for (const layer of layers) {
    const vars = layer.groupVars.get('all');
    if (vars && Object.hasOwn(vars.vars, name)) found = { value: vars.vars[name], pos: vars.positions[name], holder: vars.vars };
  }
  return found;
}
