import { existsSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { ErrorList, ErrorListError, PhoenixError } from '../errors.js';
import { loadPlaybook } from '../playbook/load.js';
import { PlaybookRunner } from '../executor/play-runner.js';
import type { RunOptions, RunServices } from '../executor/options.js';
import type { EventSink } from '../events.js';
import { parseExtraVars } from './extra-vars.js';
import { renderListing } from './listing.js';
import type { RunArgs } from './args.js';
import { openInventory, type LoadedInventoryView } from './inventory-view.js';
import { checkAppliedFeatures, FEATURES_DIR_VAR } from '../config/index.js';
import type { Playbook } from '../playbook/types.js';
import { isTemplated } from '../vars/template.js';
import { createConnector } from './connector.js';
import { collectSecrets } from '../vars/secrets.js';
import { redactError, redactingSink, redactor } from '../report/redact.js';
import { withNodeContainers } from './limit-nodes.js';

export interface Output {
  stdout: { write(text: string): void; isTTY?: boolean };
  stderr: { write(text: string): void; isTTY?: boolean };
}

/**
 * `phoenix run`: load and validate everything (all errors at once, before any connection), then run.
 * Returns the exit code.
 */
export async function runCommand(args: RunArgs, emit: EventSink, output: Output, signal?: AbortSignal): Promise<number> {
  const errors = new ErrorList();
  const extraVars = parseExtraVars(args.extraVars, errors);
  const playbookPath = resolve(args.playbook);
  if (!existsSync(playbookPath)) {
    throw new PhoenixError('E_PLAYBOOK_MISSING', `the playbook ${args.playbook} could not be found`, { hint: 'check the path' }, 1);
  }
  const sources = args.inventory.length > 0 ? args.inventory : [defaultInventory()];
  const extraFeaturesDir = Object.hasOwn(extraVars, FEATURES_DIR_VAR) ? { value: extraVars[FEATURES_DIR_VAR] } : undefined;
  const inventory = openInventory(sources, [dirname(playbookPath)], errors, { extraFeaturesDir });
  // Plays see the directory the check uses: an extra var wins over every other variable.
  if (extraFeaturesDir && inventory.config) extraVars[FEATURES_DIR_VAR] = inventory.config.features.dir;
  // Features belong to the configuration, not to the playbook's folder: the inventory decided where they are.
  const playbook = loadPlaybook(playbookPath, errors, { featuresDir: inventory.config?.features.dir });
  const usedAt = playbook.featureIncludes?.[0];
  if (inventory.config && usedAt) checkAppliedFeatures(inventory.config, errors, usedAt);
  if (errors.empty) checkPlayPatterns(playbook, inventory, errors);
  errors.throwIfAny();
  const limited = args.limit ? new Set(inventory.selectLimit(args.limit)) : undefined;
  if (limited && limited.size === 0) {
    throw new PhoenixError('E_NO_HOSTS', `--limit '${args.limit}' matched no hosts`, { hint: 'run `phoenix inventory --graph` to see the hosts' }, 1);
  }
  const limit = limited && withNodeContainers(limited, inventory, (node, hosts) => {
    output.stderr.write(`--limit ${args.limit}: node ${node} with its containers ${hosts.join(', ')}\n`);
  });
  if (args.syntaxCheck) {
    output.stdout.write(`\nplaybook: ${args.playbook}\n`);
    return 0;
  }
  if (args.listHosts || args.listTasks || args.listTags) {
    const playHosts = (play: { hosts: string }) => inventory.select(String(play.hosts)).filter((h) => !limit || limit.has(h));
    output.stdout.write(renderListing(playbook, {
      hosts: args.listHosts, tasks: args.listTasks, tags: args.listTags, onlyTags: args.tags, skipTags: args.skipTags, playHosts,
    }, args.playbook));
    return 0;
  }
  const options: RunOptions = {
    check: args.check, diff: args.diff, extraVars, onlyTags: args.tags, skipTags: args.skipTags, limit,
    forks: args.forks, startAtTask: args.startAtTask, verbosity: args.verbosity,
  };
  const connector = createConnector(inventory, { hostKeyChecking: args.hostKeyChecking });
  const secrets = collectSecrets({ inventory: inventory.inventory, hostVars: inventory.vars, playbook, extraVars: args.extraVars });
  const services: RunServices = { inventory, connect: connector.connect, emit: redactingSink(emit, secrets), signal, secrets, shared: new Map(), unchanged: { answers: new Map() } };
  try {
    const outcome = await new PlaybookRunner(playbook, options, services).run().catch((error: Error) => {
      throw redactError(error, redactor(secrets));
    });
    if (signal?.aborted) return 99;
    return outcome.exitCode;
  } finally {
    await connector.closeAll();
  }
}

/**
 * Every play's literal `hosts` pattern must parse before the first play runs: otherwise a typo in play 2 would be
 * found only after play 1 has changed hosts. Templated patterns are checked when their play starts.
 */
function checkPlayPatterns(playbook: Playbook, inventory: LoadedInventoryView, errors: ErrorList): void {
  for (const play of playbook.plays) {
    if (isTemplated(play.hosts)) continue;
    try {
      inventory.select(play.hosts);
    } catch (error) {
      if (!(error instanceof PhoenixError)) throw error;
      error.pos ??= play.hostsPos ?? play.pos;
      errors.add(error);
    }
  }
}

function defaultInventory(): string {
  return resolve('inventory');
}

export { ErrorListError };
