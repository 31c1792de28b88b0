/**
 * Schema clauses for rules between arguments, each with the message a broken rule gives (see `message` in
 * interpreter/schema/validate.ts). Spread them into a module schema's `allOf`: the load-time check of literal
 * arguments and the run-time check of rendered ones both use them, so no module tests them again in code.
 */
export type Rule = Record<string, unknown>;

/** An absolute path argument. */
export const absolutePath = { type: 'string', pattern: '^/', expected: 'an absolute path (starting with /)' } as const;

/** At most one of the arguments (pairwise; Ansible's mutually_exclusive). */
export function exclusive(...names: string[]): Rule[] {
  const rules: Rule[] = [];
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      rules.push({ not: { required: [names[i], names[j]] }, message: `parameters are mutually exclusive: ${names[i]}|${names[j]}` });
    }
  }
  return rules;
}

/** At least one of the arguments (the message, if any, is the rule's; inside another rule, that one's). */
export function oneRequired(names: string[], message?: string): Rule {
  return { anyOf: names.map((n) => ({ required: [n] })), ...(message ? { message } : {}) };
}

/** The schema that holds when argument `name` is given with one of `values`. */
export function given(name: string, values: readonly unknown[]): Rule {
  return { required: [name], properties: { [name]: { enum: values } } };
}

/** `then` must hold when `condition` does. */
export function when(condition: Rule, then: Rule, message: string): Rule {
  return { if: condition, then, message };
}

/** The schema that holds when argument `name` is given and true (booleans are coerced first, as everywhere). */
export function isTrue(name: string): Rule {
  return { required: [name], properties: { [name]: { type: 'boolean', const: true } } };
}
