import type { ErrorObject, ValidateFunction } from 'ajv';
import { compileSchema } from './compile-cache.js';

const compiled = new WeakMap<object, ValidateFunction>();

/** One problem found by a schema, with the JSON pointer of the offending value. */
export interface SchemaProblem {
  /** Path segments from the validated root to the offending value (`['retries']`). */
  path: string[];
  message: string;
  /**
   * For a broken rule between arguments: the argument to point at (the last one written of those the rule names),
   * so a message such as "mutually exclusive: src|content" shows where `content` is. Absent: `path` itself.
   */
  at?: string[];
}

/**
 * Says whether the value at `path` is not known yet (a template that only the run renders). Such a value, and every
 * rule whose outcome depends on it, is left to the check of the rendered value.
 */
export type UnknownValue = (path: readonly string[], value: unknown) => boolean;

/**
 * Two annotations a schema may carry for its messages (ajv ignores them; `strict` is off):
 * - `expected` on a value's schema: what a valid value is, in words (`mode must be <expected> (got "0x9")`), used for
 *   every constraint of that value (pattern, range, enum, type) instead of ajv's "must match pattern ...";
 * - `message` on a rule (a node holding `not`, `anyOf`, `if`/`then`, `dependencies`...): the whole message when the
 *   rule is broken ("parameters are mutually exclusive: src|content"), whichever value inside it failed.
 */
interface Annotated {
  expected?: string;
  message?: string;
  /** The rule node that carries `message`. */
  rule?: Record<string, unknown>;
}

function validator(schema: Record<string, unknown>): ValidateFunction {
  let validate: ValidateFunction | undefined = compiled.get(schema);
  if (!validate) {
    validate = compileSchema(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/**
 * Validates `data` against `schema` (compiled once per schema object). With coercion on, strings such as "3" become
 * numbers where the schema asks for one, as Ansible's argument spec does; `data` is changed in place.
 */
export function validateWithSchema(schema: Record<string, unknown>, data: unknown): SchemaProblem[] {
  const validate = validator(schema);
  if (validate(data)) return [];
  return problemsOf(schema, data, validate.errors ?? []);
}

/**
 * Validates what is known of `data` now: values `unknown` names (templates rendered only at run time, at any depth)
 * are not judged, nor is any rule that looks at one (a mutual exclusion with a templated argument: the template may
 * render to null, which unsets it); everything else is, with the same schema the run-time check of the rendered
 * values uses. A templated value satisfies `required`. `data` is left as it is (coercion works on a copy).
 */
export function validateKnown(schema: Record<string, unknown>, data: unknown, unknown: UnknownValue): SchemaProblem[] {
  const copy = structuredClone(data);
  const validate = validator(schema);
  if (validate(copy)) return [];
  const errors = (validate.errors ?? []).filter((e) => decidable(e, schema, data, unknown));
  return problemsOf(schema, data, errors);
}

function problemsOf(schema: Record<string, unknown>, data: unknown, errors: ErrorObject[]): SchemaProblem[] {
  // An `if` error only repeats the then/else error that comes with it, a `propertyNames` one the name's own error.
  const problems = collapseAnyOf(errors.filter((e) => e.keyword !== 'if' && e.keyword !== 'propertyNames'), { schema, data });
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path.join('/')}\0${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** What describing an error may look at: the schema (annotations) and the data as given (the value shown). */
interface Source {
  schema: Record<string, unknown>;
  data: unknown;
}

/**
 * ajv reports a failed `anyOf` as one error per branch plus the `anyOf` itself: `retries: [3]` gave three errors
 * ("must be integer", "must be string", "must match a schema in anyOf") for one mistake. Each failed anyOf becomes
 * one problem: its rule's message, else the constraint a branch of the right type broke, else the types it accepts,
 * else the first missing parameter (aliases are anyOf of `required`).
 */
function collapseAnyOf(errors: ErrorObject[], src: Source): SchemaProblem[] {
  const anyOfs = errors.filter((e) => e.keyword === 'anyOf');
  const inside = (e: ErrorObject, a: ErrorObject) => e !== a && e.schemaPath.startsWith(`${a.schemaPath}/`);
  const outer = anyOfs.filter((a) => !anyOfs.some((b) => inside(a, b)));
  const problems: SchemaProblem[] = [];
  for (const error of errors) {
    const owner = outer.find((a) => a === error || inside(error, a));
    if (!owner) problems.push(describe(error, src));
    else if (owner === error) problems.push(describeAnyOf(error, errors.filter((e) => inside(e, error) && e.keyword !== 'anyOf'), src));
  }
  return problems;
}

function describeAnyOf(error: ErrorObject, branches: ErrorObject[], src: Source): SchemaProblem {
  if (annotation(src.schema, error.schemaPath)) return describe(error, src);
  const constraint = branches.find((e) => e.keyword !== 'type' && e.keyword !== 'required');
  if (constraint) return describe(constraint, src);
  const types = branches.filter((e) => e.keyword === 'type').map((e) => String((e.params as { type: unknown }).type));
  if (types.length > 0) {
    const self = describe(error, src);
    const names = [...new Set(types.flatMap((t) => t.split(',')))];
    const list = names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : names[0];
    return { path: self.path, message: `${self.path.join('.') || 'value'} must be ${list}` };
  }
  return branches.length > 0 ? describe(branches[0], src) : describe(error, src);
}

function describe(error: ErrorObject, src: Source): SchemaProblem {
  const path = instancePath(error);
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') {
    return { path: [...path, String(params.additionalProperty)], message: `unsupported parameter '${params.additionalProperty}'` };
  }
  const note = annotation(src.schema, error.schemaPath);
  if (note?.message) {
    const holder = valueAt(src.data, path);
    const names = note.rule ? referenced(note.rule) : new Map<string, boolean>();
    const written = isMap(holder) ? Object.keys(holder).filter((k) => names.has(k)) : [];
    const last = written[written.length - 1];
    return { path, message: note.message, ...(last !== undefined ? { at: [...path, last] } : {}) };
  }
  if (error.propertyName !== undefined) {
    // A name that `propertyNames` refuses (set_fact's variable names): the problem is the key itself.
    const key = [...path, error.propertyName];
    return { path: key, message: `'${key.join('.')}' must be ${note?.expected ?? `a name that ${error.message ?? 'is valid'}`}` };
  }
  const name = path.join('.') || 'value';
  if (note?.expected) return { path, message: `${name} must be ${note.expected} (got ${shown(valueAt(src.data, path))})` };
  if (error.keyword === 'required') return { path, message: `missing required parameter '${params.missingProperty}'` };
  if (error.keyword === 'dependentRequired' || error.keyword === 'dependencies') {
    return { path, message: `${params.property} needs ${params.missingProperty} (missing parameter '${params.missingProperty}')` };
  }
  if (error.keyword === 'enum') {
    return { path, message: `${name} must be one of: ${(params.allowedValues as unknown[]).join(', ')}` };
  }
  return { path, message: `${name} ${error.message ?? 'is invalid'}` };
}

/** A value for a message: JSON, cut short. */
function shown(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/**
 * The annotated schema node that explains an error: the nearest node above the failing keyword that carries
 * `expected` without leaving the value the error is about (an array's words never describe one of its items), or
 * else the nearest rule above it with a `message` (a rule explains every error inside it, about whichever value).
 */
function annotation(schema: Record<string, unknown>, schemaPath: string): Annotated | undefined {
  const segs = pointer(schemaPath);
  let sameValue = true;
  for (let j = segs.length - 1; j >= 0; j--) {
    const node = resolve(schema, segs.slice(0, j)) as Annotated | undefined;
    // A `properties` map is no schema node (an argument may be called `message`).
    const isSchema = !['properties', 'patternProperties', 'dependencies', 'dependentRequired'].includes(segs[j - 1] ?? '');
    if (isSchema && node && typeof node === 'object' && !Array.isArray(node)) {
      if (typeof node.message === 'string') return { message: node.message, rule: node as Record<string, unknown> };
      if (sameValue && typeof node.expected === 'string') return { expected: node.expected };
    }
    if (segs[j - 2] === 'properties' || segs[j - 2] === 'patternProperties' || VALUE_STEPS.has(segs[j - 1] ?? '')) sameValue = false;
  }
  return undefined;
}

/** Schema keywords that step from an object or array to one of its values (each takes one instance segment). */
const VALUE_STEPS = new Set(['items', 'additionalProperties', 'additionalItems', 'contains', 'prefixItems']);

/**
 * Whether an error can be decided from the known values alone: it is not about an unknown value (or a value inside
 * one), and no rule on its way from the root (`not`, `anyOf`, `oneOf`, `if`/`then`/`else`, `dependencies`)
 * looks at a property whose value is, or holds, an unknown one.
 */
function decidable(error: ErrorObject, schema: Record<string, unknown>, data: unknown, unknown: UnknownValue): boolean {
  const inst = instancePath(error);
  let value = data;
  for (let i = 0; i <= inst.length; i++) {
    if (unknown(inst.slice(0, i), value)) return false;
    if (i < inst.length) value = child(value, inst[i]);
  }
  const segs = pointer(error.schemaPath);
  let node: unknown = schema;
  let at = data;
  const here: string[] = [];
  for (let i = 0; i < segs.length && node && typeof node === 'object'; i++) {
    const s = segs[i];
    const n = node as Record<string, unknown>;
    if (s === 'properties' || s === 'patternProperties') {
      node = (n[s] as Record<string, unknown> | undefined)?.[segs[++i]];
      here.push(inst[here.length]);
      at = child(at, here[here.length - 1]);
      continue;
    }
    if (VALUE_STEPS.has(s)) {
      here.push(inst[here.length]);
      at = child(at, here[here.length - 1]);
      node = n[s];
      if (s === 'prefixItems' && Array.isArray(node)) node = node[Number(segs[++i])];
      continue;
    }
    if (s === 'dependentRequired' || s === 'dependencies') {
      const property = String((error.params as { property?: unknown }).property ?? '');
      return !holdsUnknown([...here, property], child(at, property), unknown);
    }
    if (s === 'not' || s === 'anyOf' || s === 'oneOf' || s === 'if' || s === 'then' || s === 'else' || s === 'dependentSchemas') {
      const clause = s === 'if' || s === 'then' || s === 'else' ? { if: n.if, then: n.then, else: n.else } : n[s];
      for (const [name, deep] of referenced(clause)) {
        if (!isMap(at) || !(name in at)) continue;
        const path = [...here, name];
        if (deep ? holdsUnknown(path, at[name], unknown) : unknown(path, at[name])) return false;
      }
    }
    node = n[s];
  }
  return true;
}

/**
 * Property names a rule looks at, at the level it applies to, each with whether it looks inside the value (its
 * schema there reaches into items or properties, or compares whole values): `argv: { minItems: 1 }` is decided by a
 * list whose items are templates, `pin: { properties: ... }` is not.
 */
function referenced(clause: unknown, out = new Map<string, boolean>()): Map<string, boolean> {
  const add = (name: string, deep: boolean) => out.set(name, (out.get(name) ?? false) || deep);
  if (Array.isArray(clause)) {
    clause.forEach((c) => referenced(c, out));
    return out;
  }
  if (!isMap(clause)) return out;
  for (const name of (clause.required as string[] | undefined) ?? []) add(name, false);
  for (const [name, sub] of Object.entries((clause.properties as Record<string, unknown> | undefined) ?? {})) add(name, looksInside(sub));
  for (const key of ['dependentRequired', 'dependencies']) {
    for (const [name, needs] of Object.entries((clause[key] as Record<string, unknown> | undefined) ?? {})) {
      add(name, false);
      if (Array.isArray(needs)) needs.forEach((n) => add(String(n), false));
    }
  }
  for (const key of ['not', 'anyOf', 'oneOf', 'allOf', 'if', 'then', 'else']) referenced(clause[key], out);
  return out;
}

const INSIDE = new Set(['properties', 'patternProperties', 'additionalProperties', 'items', 'prefixItems', 'contains', 'const', 'enum', 'uniqueItems', 'propertyNames']);

function looksInside(schema: unknown): boolean {
  if (Array.isArray(schema)) return schema.some(looksInside);
  if (!isMap(schema)) return false;
  return Object.entries(schema).some(([k, v]) => INSIDE.has(k) || (['not', 'anyOf', 'oneOf', 'allOf', 'if', 'then', 'else'].includes(k) && looksInside(v)));
}

function holdsUnknown(path: string[], value: unknown, unknown: UnknownValue): boolean {
  if (unknown(path, value)) return true;
  if (Array.isArray(value)) return value.some((v, i) => holdsUnknown([...path, String(i)], v, unknown));
  if (isMap(value)) return Object.entries(value).some(([k, v]) => holdsUnknown([...path, k], v, unknown));
  return false;
}

function instancePath(error: ErrorObject): string[] {
  return error.instancePath.split('/').slice(1).map(unescape);
}

function pointer(schemaPath: string): string[] {
  return schemaPath.replace(/^#\/?/, '').split('/').filter((s) => s !== '').map(unescape);
}

function unescape(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

function resolve(root: unknown, segs: readonly string[]): unknown {
  let node = root;
  for (const s of segs) node = child(node, s);
  return node;
}

function valueAt(data: unknown, path: readonly string[]): unknown {
  return resolve(data, path);
}

function child(value: unknown, key: string | undefined): unknown {
  if (key === undefined || value === null || typeof value !== 'object') return undefined;
  return (value as Record<string, unknown>)[key];
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
