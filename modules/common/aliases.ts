import { exclusive, type Rule } from './rules.js';

/** Canonical argument name → Ansible's aliases for it. */
export type AliasMap = Record<string, readonly string[]>;

/** Schema properties for the aliases, each with the schema of its canonical argument. */
export function aliasProperties(properties: Record<string, unknown>, aliases: AliasMap): Record<string, unknown> {
  const out: Record<string, unknown> = { ...properties };
  for (const [name, names] of Object.entries(aliases)) for (const alias of names) out[alias] = properties[name];
  return out;
}

/** A schema clause requiring the argument under its name or one of its aliases. */
export function requireAny(name: string, aliases: AliasMap): Record<string, unknown> {
  return { anyOf: [name, ...(aliases[name] ?? [])].map((n) => ({ required: [n] })) };
}

/** Schema rules: two spellings of one argument are mutually exclusive (`path` and `dest`, `dest` and `name`...). */
export function aliasExclusions(aliases: AliasMap): Rule[] {
  return Object.entries(aliases).flatMap(([name, names]) => exclusive(name, ...names));
}

/** Moves aliased arguments to their canonical names (the schema's {@link aliasExclusions} allow one spelling). */
export function normalizeAliases<T>(args: Record<string, unknown>, aliases: AliasMap): T {
  const out: Record<string, unknown> = { ...args };
  for (const [name, names] of Object.entries(aliases)) {
    for (const alias of names) {
      if (out[alias] === undefined) continue;
      out[name] = out[alias];
      delete out[alias];
    }
  }
  return out as T;
}
