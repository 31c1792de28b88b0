import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import type { Inventory, VarsWithPositions } from '../inventory/types.js';
import type { Playbook } from '../playbook/types.js';

/**
 * A secrets file: `secrets.yml`, `<anything>.secrets.yml`, `<anything>.secret.yml` or `<anything>.vault.yml`
 * (`.yaml` and `.json` too), wherever a vars file may be: group_vars/ and host_vars/ (files or inside a folder),
 * vars_files, and `-e @file`.
 */
export const SECRETS_FILE = /^(?:secrets|.+\.secrets?|.+\.vault)\.(?:ya?ml|json)$/i;

/** Connection variables that hold passwords: secret wherever they are defined. */
export const PASSWORD_VARS = ['ansible_password', 'ansible_ssh_pass', 'ansible_become_password', 'ansible_become_pass', 'ansible_sudo_pass'];

/** Values shorter than this are not masked: they would blank out ordinary words and numbers everywhere. */
export const MIN_SECRET_LENGTH = 4;

export function isSecretsFile(path: string): boolean {
  return SECRETS_FILE.test(basename(path));
}

export interface SecretSources {
  inventory: Inventory;
  /** Every inventory host's merged variables (for the password variables). */
  hostVars(host: string): Record<string, unknown>;
  playbook: Playbook;
  /** The raw `-e` arguments. */
  extraVars: string[];
}

/**
 * Every secret value of a run, read when everything is loaded: the values (every string and number inside them) of
 * variables defined in secrets files, and the password variables of every host. Reporters never see them (see
 * report/redact.ts).
 */
export function collectSecrets(sources: SecretSources): string[] {
  const found = new Set<string>();
  const add = (value: unknown) => addLeaves(value, found);
  for (const layer of sources.inventory.varsLayers) {
    for (const vars of [...layer.hostVars.values(), ...layer.groupVars.values()]) addFromSecretFiles(vars, found);
  }
  for (const host of sources.inventory.hosts.keys()) {
    const vars = sources.hostVars(host);
    for (const name of PASSWORD_VARS) if (name in vars) add(vars[name]);
  }
  for (const play of sources.playbook.plays) {
    for (const name of play.varsFiles) {
      if (isSecretsFile(name)) add(readVars(resolve(dirname(play.pos.file), name)));
    }
  }
  for (const arg of sources.extraVars) {
    if (arg.startsWith('@') && isSecretsFile(arg.slice(1))) add(readVars(resolve(arg.slice(1))));
  }
  return [...found];
}

function addFromSecretFiles(vars: VarsWithPositions, found: Set<string>): void {
  for (const [name, value] of Object.entries(vars.vars)) {
    const file = vars.positions[name]?.file;
    if (file !== undefined && isSecretsFile(file)) addLeaves(value, found);
  }
}

function addLeaves(value: unknown, found: Set<string>): void {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') {
    const text = String(value);
    if (text.length >= MIN_SECRET_LENGTH) found.add(text);
  } else if (Array.isArray(value)) {
    for (const item of value) addLeaves(item, found);
  } else if (value && typeof value === 'object') {
    for (const item of Object.values(value)) addLeaves(item, found);
  }
}

/** The file was read and checked by the loaders already; a file that fails now gives no secrets, not an error. */
function readVars(file: string): unknown {
  try {
    return parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}
