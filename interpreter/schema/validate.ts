import type { ErrorObject, ValidateFunction } from 'ajv';
import { compileSchema } from './compile-cache.js';

const compiled = new WeakMap<object, ValidateFunction>();

/** One problem found by a schema, with the JSON pointer of the offending value. */
export interface SchemaProblem {
  /** Path segments from the validated root to the offending value (`['retries']`). */
  path: string[];
  message: string;
}

/**
 * Validates `data` against `schema` (compiled once per schema object). With coercion on, strings such as "3" become
 * numbers where the schema asks for one, as Ansible's argument spec does; `data` is changed in place.
 */
export function validateWithSchema(schema: Record<string, unknown>, data: unknown): SchemaProblem[] {
  let validate: ValidateFunction | undefined = compiled.get(schema);
  if (!validate) {
    validate = compileSchema(schema);
    compiled.set(schema, validate);
  }
  if (validate(data)) return [];
  return collapseAnyOf(validate.errors ?? []);
}

/**
 * ajv reports a failed `anyOf` as one error per branch plus the `anyOf` itself: `retries: [3]` gave three errors
 * ("must be integer", "must be string", "must match a schema in anyOf") for one mistake. Each failed anyOf becomes
 * one problem: the constraint a branch of the right type broke, else the types it accepts, else the first
 * missing parameter (aliases are anyOf of `required`).
 */
function collapseAnyOf(errors: ErrorObject[]): SchemaProblem[] {
  const anyOfs = errors.filter((e) => e.keyword === 'anyOf');
  const inside = (e: ErrorObject, a: ErrorObject) => e !== a && e.schemaPath.startsWith(`${a.schemaPath}/`);
  const outer = anyOfs.filter((a) => !anyOfs.some((b) => inside(a, b)));
  const problems: SchemaProblem[] = [];
  for (const error of errors) {
    const owner = outer.find((a) => a === error || inside(error, a));
    if (!owner) problems.push(describe(error));
    else if (owner === error) problems.push(describeAnyOf(error, errors.filter((e) => inside(e, error) && e.keyword !== 'anyOf')));
  }
  return problems;
}

function describeAnyOf(error: ErrorObject, branches: ErrorObject[]): SchemaProblem {
  const constraint = branches.find((e) => e.keyword !== 'type' && e.keyword !== 'required');
  if (constraint) return describe(constraint);
  const types = branches.filter((e) => e.keyword === 'type').map((e) => String((e.params as { type: unknown }).type));
  if (types.length > 0) {
    const self = describe(error);
    const names = [...new Set(types.flatMap((t) => t.split(',')))];
    const list = names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : names[0];
    return { path: self.path, message: `${self.path.join('.') || 'value'} must be ${list}` };
  }
  return branches.length > 0 ? describe(branches[0]) : describe(error);
}

function describe(error: ErrorObject): SchemaProblem {
  const path = error.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') {
    return { path: [...path, String(params.additionalProperty)], message: `unsupported parameter '${params.additionalProperty}'` };
  }
  if (error.keyword === 'required') return { path, message: `missing required parameter '${params.missingProperty}'` };
  if (error.keyword === 'enum') {
    return { path, message: `${path.join('.') || 'value'} must be one of: ${(params.allowedValues as unknown[]).join(', ')}` };
  }
  return { path, message: `${path.join('.') || 'value'} ${error.message ?? 'is invalid'}` };
}
