import { parseArgs } from 'node:util';
import { ErrorList, PhoenixError } from '../errors.js';
import { openInventory } from './inventory-view.js';
import { renderInventoryGraph, renderInventoryHost, renderInventoryList } from '../inventory/render.js';
import type { Output } from './run-command.js';
import { resolve } from 'node:path';
import { containerHostName, renderCloneTree } from '../config/index.js';

export const INVENTORY_HELP = `usage: phoenix inventory [-i PATH] (--list | --graph [GROUP] | --host NAME)
`;

/** `phoenix inventory`, shaped like ansible-inventory. */
export function inventoryCommand(argv: string[], output: Output): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        inventory: { type: 'string', short: 'i', multiple: true },
        list: { type: 'boolean' },
        graph: { type: 'boolean' },
        host: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new PhoenixError('E_USAGE', (error as Error).message, { hint: INVENTORY_HELP.trim() }, 5);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    output.stdout.write(INVENTORY_HELP);
    return 0;
  }
  const modes = [values.list, values.graph, values.host !== undefined].filter(Boolean).length;
  if (modes !== 1) throw new PhoenixError('E_USAGE', 'choose one of --list, --graph or --host', { hint: INVENTORY_HELP.trim() }, 5);
  const errors = new ErrorList();
  const view = openInventory(values.inventory ?? [resolve('inventory')], [], errors);
  errors.throwIfAny();
  if (values.list) output.stdout.write(`${renderInventoryList(view.inventory)}\n`);
  else if (values.graph) {
    output.stdout.write(`${renderInventoryGraph(view.inventory, positionals[0])}\n`);
    if (view.config && !positionals[0]) output.stdout.write(`\nclone tree (${view.config.config.lxcFile}):\n${renderCloneTree(view.config.config, { node: view.config.node, nodeOf: (ctid) => nodeOfContainer(view, ctid) })}\n`);
  }
  else output.stdout.write(`${renderInventoryHost(view.inventory, values.host!)}\n`);
  return 0;
}

/** The node a container host is placed on (its `proxmox_node`). */
function nodeOfContainer(view: { vars(host: string): Record<string, unknown> }, ctid: number): string | undefined {
  const node = view.vars(containerHostName(ctid)).proxmox_node;
  return typeof node === 'string' ? node : undefined;
}
