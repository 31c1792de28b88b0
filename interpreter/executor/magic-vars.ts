/**
 * The magic variables of a host in a play (hostvars, ansible_play_hosts, ansible_check_mode, ...), as Ansible sets
 * them.
 */
import type { Play } from '../playbook/types.js';
import type { InventoryView, RunOptions } from './options.js';

/** What the magic variables are made of. */
export interface MagicSources {
  inventory: InventoryView;
  /** Facts set on a host so far in the run. */
  facts(host: string): Record<string, unknown> | undefined;
  playbookDir: string;
  options: RunOptions;
  play: Play;
  /** The serial batch being run. */
  batch: string[];
}

/** Magic variables of `host`; `playHosts` are the batch's hosts that have not failed. */
export function magicVars(host: string, playHosts: string[], run: MagicSources): Record<string, unknown> {
  const hostvars = new Proxy({}, {
    get: (_t, name) => (typeof name === 'string' ? { ...run.inventory.vars(name), ...run.facts(name) } : undefined),
    has: (_t, name) => typeof name === 'string' && run.inventory.select(name).length > 0,
    getOwnPropertyDescriptor: (_t, name) => (typeof name === 'string' && run.inventory.select(name).length > 0
      ? { value: { ...run.inventory.vars(name), ...run.facts(name) }, enumerable: true, configurable: true } : undefined),
  });
  return {
    ...run.inventory.magic(host),
    hostvars,
    playbook_dir: run.playbookDir,
    ansible_check_mode: run.options.check,
    ansible_diff_mode: run.options.diff,
    ansible_play_hosts: playHosts,
    ansible_play_batch: run.batch,
    ansible_play_name: run.play.name,
    ansible_run_tags: run.options.onlyTags.length ? run.options.onlyTags : ['all'],
    ansible_skip_tags: run.options.skipTags,
    ansible_verbosity: run.options.verbosity,
  };
}
