/**
 * The inventory: Ansible's YAML inventory format with host_vars/group_vars, implicit `all`/`ungrouped`/localhost,
 * host patterns (`--limit` algebra) and the `phoenix inventory` renderings. Everything here is synchronous.
 */
export { loadInventory, type LoadInventoryOptions } from './load-inventory.js';
export { hostVars, magicVars, findHost, sortGroups } from './host-vars.js';
export { selectHosts, limitHosts, splitHostPattern, type PatternOptions } from './patterns.js';
export { renderInventoryList, renderInventoryGraph, renderInventoryHost } from './render.js';
export { groupHosts, hostGroups } from './graph.js';
export { inventorySchema } from './schema.js';
export { LOCALHOST_NAMES, type Inventory, type InventoryGroup, type InventoryHost, type VarsLayer, type VarsWithPositions } from './types.js';
