import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { ErrorList, PhoenixError } from '../errors.js';
import type { VarsLayer, VarsWithPositions } from './types.js';
import { isMap } from 'yaml';
import { nodePos, readYamlSource, resolveNode, toPlain, varsOf } from './yaml-source.js';

/** ansible-core's YAML_FILENAME_EXTENSIONS, tried after the bare name (so a directory `name/` is found first). */
const VARS_EXTENSIONS = ['', '.yml', '.yaml', '.json'];

/**
 * Loads `host_vars/` and `group_vars/` under `dir` for the given names. Missing folders are fine; a file that is
 * not a mapping is an error at its position.
 */
export function loadVarsLayer(
  dir: string,
  origin: VarsLayer['origin'],
  names: { hosts: Iterable<string>; groups: Iterable<string> },
  errors: ErrorList,
): VarsLayer {
  return {
    dir,
    origin,
    hostVars: loadVarsFor(join(dir, 'host_vars'), names.hosts, errors),
    groupVars: loadVarsFor(join(dir, 'group_vars'), names.groups, errors),
  };
}

function listDir(dir: string): Set<string> | undefined {
  try {
    return new Set(readdirSync(dir));
  } catch {
    return undefined;
  }
}

/** True for an existing directory (false for a file or nothing). */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function loadVarsFor(dir: string, names: Iterable<string>, errors: ErrorList): Map<string, VarsWithPositions> {
  const result = new Map<string, VarsWithPositions>();
  const entries = listDir(dir);
  if (!entries) return result;
  for (const name of names) {
    if (name.startsWith('/')) continue;
    const files = findVarsFiles(dir, entries, name);
    if (!files.length) continue;
    const merged: VarsWithPositions = { vars: {}, positions: {} };
    for (const file of files) mergeVarsFile(merged, file, errors);
    result.set(name, merged);
  }
  return result;
}

/** ansible-core's find_vars_files: the first of name, name.yml, name.yaml, name.json; a directory gives all its files. */
function findVarsFiles(dir: string, entries: Set<string>, name: string): string[] {
  for (const ext of VARS_EXTENSIONS) {
    if (!entries.has(name + ext)) continue;
    const path = join(dir, name + ext);
    return isDirectory(path) ? dirVarsFiles(path) : [path];
  }
  return [];
}

/** Files of a vars directory in sorted order, recursing into extension-less subdirectories, skipping hidden and backups. */
function dirVarsFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of [...(listDir(dir) ?? [])].sort()) {
    if (entry.startsWith('.') || entry.endsWith('~')) continue;
    const path = join(dir, entry);
    const ext = extname(entry);
    if (isDirectory(path)) {
      if (!ext) found.push(...dirVarsFiles(path));
    } else if (VARS_EXTENSIONS.includes(ext)) {
      found.push(path);
    }
  }
  return found;
}

function mergeVarsFile(into: VarsWithPositions, file: string, errors: ErrorList): void {
  const src = readYamlSource(file, 'E_INVENTORY_VARS', errors);
  if (!src) return;
  const contents = resolveNode(src, src.doc.contents);
  if (toPlain(src, contents) === null) return;
  if (!isMap(contents)) {
    errors.add(new PhoenixError('E_INVENTORY_VARS', `${file} must hold a mapping of variables`, { pos: nodePos(src, contents) }));
    return;
  }
  const { vars, positions } = varsOf(src, contents);
  Object.assign(into.vars, vars);
  Object.assign(into.positions, positions);
}
