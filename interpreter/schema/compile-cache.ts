import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type AjvModule from 'ajv';
import type { ValidateFunction } from 'ajv';

/** The options every phoenix schema is compiled with (Ansible-like coercion, defaults filled in, all errors). */
const OPTIONS = { allErrors: true, strict: false, coerceTypes: true, useDefaults: true } as const;

const require = createRequire(import.meta.url);

/**
 * Compiled validators are kept as ajv "standalone" CommonJS files beside the build output (dist/.schema-cache), one
 * per schema content. Compiling a schema costs 20-45 ms of start-up and a playbook needs several (play, block, task
 * keywords, each module): a cache hit is a plain `require` of generated code, and ajv itself is never loaded.
 */
const CACHE_DIR = join(packageRoot(fileURLToPath(new URL('.', import.meta.url))), 'dist', '.schema-cache');

/** phoenix's own directory, found from this file whether it runs from dist/interpreter/schema or the dist bundle. */
function packageRoot(start: string): string {
  for (let dir = start; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bin', 'phoenix.js'))) return dir;
  }
  return join(start, '..', '..');
}

let ajv: InstanceType<typeof AjvModule.default> | undefined;
let cacheTag: string | undefined;

function compiler(): InstanceType<typeof AjvModule.default> {
  ajv ??= new (require('ajv') as typeof AjvModule).default({ ...OPTIONS, code: { source: true } });
  return ajv;
}

/** ajv's version and the options are part of the key: an upgrade or an option change never reuses old code. */
function tag(): string {
  cacheTag ??= `${(require('ajv/package.json') as { version: string }).version} ${JSON.stringify(OPTIONS)}`;
  return cacheTag;
}

/** A validator for `schema` (same behaviour as `ajv.compile` with {@link OPTIONS}), from the cache when it can. */
export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  const key = createHash('sha256').update(tag()).update('\0').update(JSON.stringify(schema)).digest('hex').slice(0, 40);
  const file = join(CACHE_DIR, `${key}.cjs`);
  try {
    return require(file) as ValidateFunction;
  } catch {
    // not cached yet (or unreadable): compile below
  }
  const validate = compiler().compile(schema);
  store(file, validate);
  return validate;
}

/** Writes the standalone code atomically; a read-only install just goes without the cache. */
function store(file: string, validate: ValidateFunction): void {
  try {
    const standalone = (require('ajv/dist/standalone') as { default: (a: unknown, v: unknown) => string }).default;
    const code = standalone(compiler(), validate);
    mkdirSync(CACHE_DIR, { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, code);
    renameSync(temp, file);
  } catch {
    // no cache this time
  }
}
