import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ErrorList, PhoenixError } from '../errors.js';
import { parseYamlText } from '../load/yaml-file.js';
import { parseKeyValue } from '../playbook/kv.js';

/**
 * `-e` in Ansible's three forms: `@file` (YAML/JSON), inline JSON/YAML (starting with `{` or `[`), or `k=v` pairs
 * (values stay strings). Later occurrences win.
 */
export function parseExtraVars(values: string[], errors: ErrorList): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const value of values) {
    const parsed = parseOne(value, errors);
    if (parsed) Object.assign(merged, parsed);
  }
  return merged;
}

function parseOne(value: string, errors: ErrorList): Record<string, unknown> | undefined {
  if (value.startsWith('@')) {
    const file = resolve(value.slice(1));
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      errors.add(new PhoenixError('E_EXTRA_VARS_FILE', `cannot read extra vars file ${file}`, { hint: 'check the path after @' }, 1));
      return undefined;
    }
    return asMapping(parseYamlText(text, file, errors)?.value, file, errors);
  }
  const trimmed = value.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    return asMapping(parseYamlText(trimmed, '<-e>', errors)?.value, '<-e>', errors);
  }
  const { args, freeForm } = parseKeyValue(value);
  if (freeForm) {
    errors.add(new PhoenixError('E_EXTRA_VARS', `-e expects key=value pairs, JSON/YAML or @file; got '${freeForm}'`, {}, 5));
  }
  return args;
}

function asMapping(value: unknown, source: string, errors: ErrorList): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    errors.add(new PhoenixError('E_EXTRA_VARS', `extra vars from ${source} must be a mapping`, {}, 5));
    return undefined;
  }
  return value as Record<string, unknown>;
}
