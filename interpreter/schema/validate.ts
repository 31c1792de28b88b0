import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';

// ajv ships CommonJS; under NodeNext its default export is the module object holding the class.
const Ajv = AjvModule.default;

const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: true, useDefaults: true });
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
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(data)) return [];
  return (validate.errors ?? []).map(describe);
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
