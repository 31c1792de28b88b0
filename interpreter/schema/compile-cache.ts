import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { packageRoot } from '../package-root.js';
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
const CACHE_DIR = join(packageRoot(import.meta.url) ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..'),
  'dist', '.schema-cache');

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

/**
 * Every cached validator in one file (`pack.js`, each wrapped in a function that runs on first use), compiled with
 * a V8 code cache (`pack.js.v8`): one read instead of a `require` (resolve, read, compile) per schema, about 1 ms
 * instead of 7 for a typical run. Rebuilt whenever a validator is added.
 */
const PACK = join(CACHE_DIR, 'pack.js');
let pack: Record<string, () => ValidateFunction> | null | undefined;

function packed(key: string): ValidateFunction | undefined {
  if (pack === undefined) pack = loadPack();
  return pack?.[key]?.();
}

function loadPack(): Record<string, () => ValidateFunction> | null {
  if (!existsSync(PACK) && existsSync(CACHE_DIR)) rebuildPack();
  try {
    const source = readFileSync(PACK, 'utf8');
    let cachedData: Buffer | undefined;
    try {
      cachedData = readFileSync(`${PACK}.v8`);
    } catch {
      // no code cache yet: written when this process ends
    }
    const script = new vm.Script(source, { filename: PACK, cachedData });
    const loaded = (script.runInThisContext() as (r: NodeRequire) => Record<string, () => ValidateFunction>)(require);
    if (!cachedData || script.cachedDataRejected) {
      // After the run, so the validators it used are compiled into the cache.
      process.once('exit', () => writeAtomically(`${PACK}.v8`, script.createCachedData()));
    }
    return loaded;
  } catch {
    return null;
  }
}

/** pack.js from every cached validator file; its code cache is dropped (the next run writes a new one). */
function rebuildPack(): void {
  try {
    const entries = readdirSync(CACHE_DIR).filter((f) => /^[0-9a-f]{40}\.cjs$/.test(f)).map((f) => {
      const code = readFileSync(join(CACHE_DIR, f), 'utf8');
      return `m[${JSON.stringify(f.slice(0, 40))}] = once(function () { const module = { exports: {} }; ` +
        `(function (module, exports) {\n${code}\n})(module, module.exports); return module.exports; });`;
    });
    const source = '(function (require) {\nconst m = Object.create(null);\n' +
      'const once = (f) => { let v; return () => (v ??= f()); };\n' + `${entries.join('\n')}\nreturn m;\n})`;
    rmSync(`${PACK}.v8`, { force: true });
    writeAtomically(PACK, source);
  } catch {
    // no pack: validators load one by one
  }
}

/** temp file + rename; false when it cannot be written (a read-only install goes without). */
function writeAtomically(file: string, data: string | Buffer): boolean {
  try {
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, data);
    renameSync(temp, file);
    return true;
  } catch {
    return false;
  }
}

/** A validator for `schema` (same behaviour as `ajv.compile` with {@link OPTIONS}), from the cache when it can. */
export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  const key = createHash('sha256').update(tag()).update('\0').update(JSON.stringify(schema)).digest('hex').slice(0, 40);
  const fromPack = packed(key);
  if (fromPack) return fromPack;
  const file = join(CACHE_DIR, `${key}.cjs`);
  try {
    return require(file) as ValidateFunction;
  } catch {
    // not cached yet (or unreadable): compile below
  }
  const validate = compiler().compile(schema);
  if (store(file, validate)) rebuildPack();
  return validate;
}

/** Writes the standalone code atomically; a read-only install just goes without the cache. */
function store(file: string, validate: ValidateFunction): boolean {
  try {
    const standalone = (require('ajv/dist/standalone') as { default: (a: unknown, v: unknown) => string }).default;
    mkdirSync(CACHE_DIR, { recursive: true });
    return writeAtomically(file, standalone(compiler(), validate));
  } catch {
    return false;
  }
}
