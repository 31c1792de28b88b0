import { PhoenixError, type ErrorList } from '../errors.js';
import { validateWithSchema } from '../schema/validate.js';
import { jsonPath, type JsonPathSegments } from './json-path.js';
import type { JsonSource } from './json-source.js';

const str = { type: 'string' } as const;
const text = { type: 'string', minLength: 1 } as const;

/** How lxc_conf passes GPUs through: `auto` = devN where the node's Proxmox has it (PVE 8.1+), else raw lines. */
export const GPU_PASSTHROUGH_STYLES = ['auto', 'raw', 'devN'] as const;
const passthroughStyle = {
  enum: GPU_PASSTHROUGH_STYLES,
  expected: '"auto", "raw" or "devN" (devN needs Proxmox VE 8.1+)',
} as const;

const driverProperties = {
  install: { type: 'boolean' }, version: str, runfile_url: str, runfile_sha256: { type: ['string', 'null'] }, cuda_version: str,
} as const;

/**
 * `phoenix_hypervisor_config.json`: only the fields phoenix uses are described; the users' real files have many more
 * top-level blocks, which are allowed. Formats (versions, URL, sha256) are checked in code, each with its own code.
 */
export const hypervisorConfigSchema = {
  $id: 'phoenix:hypervisor-config',
  type: 'object',
  required: ['nvidia_driver'],
  properties: {
    core_paths: { type: 'object', properties: { lxc_config_file: text, cache_dir: text } },
    nvidia_driver: {
      type: 'object',
      required: ['version', 'runfile_url', 'cuda_version'],
      properties: driverProperties,
    },
    behavior: { type: 'object', properties: { reboot_after_driver_install: { type: 'boolean' } } },
    gpu_passthrough_style: passthroughStyle,
    // Proxmox storages shared by every node (storage.cfg's `shared 1`): a clone may be on another node than its
    // parent only when the parent's rootfs is on one of them (`pct clone --target`).
    shared_storage: { type: 'array', items: text },
    // A node's own driver (issue 14): any nvidia_driver key, over the cluster's; the node must be a proxmox host.
    nodes: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: { nvidia_driver: { type: 'object', properties: driverProperties } },
      },
    },
  },
} as const;

/** `phoenix_lxc_configs.json`: containers by CTID; unknown fields allowed at the top and inside containers. */
export const lxcConfigSchema = {
  $id: 'phoenix:lxc-configs',
  type: 'object',
  required: ['lxc_configs'],
  properties: {
    nvidia_driver_version: str,
    nvidia_runfile_url: str,
    nvidia_repo_url: str,
    nvidia_container_toolkit_repo_url: str,
    nvidia_container_toolkit_key_url: str,
    nvidia_container_toolkit_version: str,
    docker_gpu_image: str,
    lxc_configs: { type: 'object', additionalProperties: { $ref: '#/$defs/container' } },
  },
  $defs: {
    container: {
      type: 'object',
      required: ['name'],
      properties: {
        // A Proxmox hostname: letters, digits, '-' and '.', not starting or ending with '-' or '.'.
        name: { type: 'string', pattern: '^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$' },
        memory_mb: { type: 'integer', minimum: 16 },
        cores: { type: 'integer', minimum: 1 },
        template: text,
        storage_pool: text,
        storage_size_gb: { type: 'integer', minimum: 1 },
        network_config: { type: 'object', properties: { name: text, bridge: text, ip: text, gw: text } },
        gpu_assignment: str,
        unprivileged: { type: 'boolean' },
        clone_from_ctid: { type: ['string', 'integer', 'null'] },
        features: { type: 'array', items: str },
        template_snapshot_name: { type: ['string', 'null'] },
        gpu_passthrough_style: passthroughStyle,
        // The Proxmox node holding the container: a host of inventory group proxmox (checked with the inventory).
        node: text,
        // The driver the container's user space must be: its node's (checked once containers are placed).
        nvidia_driver_version: text,
      },
    },
  },
} as const;

/** Names phoenix reads in each object of the files: a near miss of one of them is almost surely a typo. */
export const KNOWN_KEYS: Record<string, readonly string[]> = {
  hypervisor: ['core_paths', 'nvidia_driver', 'behavior', 'gpu_passthrough_style', 'nodes', 'shared_storage'],
  node: ['nvidia_driver'],
  core_paths: ['lxc_config_file', 'cache_dir'],
  nvidia_driver: ['install', 'version', 'runfile_url', 'runfile_sha256', 'cuda_version'],
  behavior: ['reboot_after_driver_install'],
  lxc: ['nvidia_driver_version', 'nvidia_runfile_url', 'nvidia_repo_url', 'lxc_configs',
    'nvidia_container_toolkit_repo_url', 'nvidia_container_toolkit_key_url', 'nvidia_container_toolkit_version', 'docker_gpu_image'],
  container: Object.keys(lxcConfigSchema.$defs.container.properties),
};

/**
 * Validates one file with the project's ajv wrapper. That wrapper coerces types (`"2048"` -> 2048), which would
 * let a quoted number or a `12.8` CUDA version through; so it validates a copy and every value the copy had to
 * change is reported as a wrong type: the configuration must have the right types as written.
 * Returns false when anything is wrong.
 */
export function validateConfigShape(src: JsonSource, schema: Record<string, unknown>, errors: ErrorList): boolean {
  const copy = cloneJson(src.value);
  const before = errors.errors.length;
  for (const problem of validateWithSchema(schema, copy)) {
    errors.add(shapeError(src, typedPath(src.value, problem.path), problem.message));
  }
  for (const { path, expected } of coercions(src.value, copy, [])) {
    errors.add(typeError(src, path, expected));
  }
  return errors.errors.length === before;
}

/** ajv's path segments are strings; array indexes become numbers so JSON paths print `features[0]`. */
function typedPath(root: unknown, segments: string[]): Array<string | number> {
  const path: Array<string | number> = [];
  for (const segment of segments) path.push(Array.isArray(valueAt(root, path)) && /^\d+$/.test(segment) ? Number(segment) : segment);
  return path;
}

function shapeError(src: JsonSource, path: JsonPathSegments, message: string): PhoenixError {
  const missing = /^missing required parameter '(.*)'$/.exec(message);
  if (missing) {
    return new PhoenixError('E_CONFIG_REQUIRED', `${src.file}: ${jsonPath(path)} needs the field '${missing[1]}'`, {
      pos: src.valuePos(path),
      jsonPath: jsonPath([...path, missing[1]]),
    });
  }
  const type = /must be ((?:string|number|integer|boolean|object|array|null)(?:,(?:string|number|integer|boolean|object|array|null))*)$/.exec(message);
  if (type) return typeError(src, path, type[1].replace(/,/g, ' or '));
  const what = message.replace(/^\S+ /, '');
  return new PhoenixError('E_CONFIG_SCHEMA', `${src.file}: ${jsonPath(path)} ${what}`, { pos: src.valuePos(path), jsonPath: jsonPath(path) });
}

function typeError(src: JsonSource, path: JsonPathSegments, expected: string): PhoenixError {
  const actual = valueAt(src.value, path);
  return new PhoenixError('E_CONFIG_TYPE', `${src.file}: ${jsonPath(path)} must be ${expected}, not ${describeJson(actual)}`, {
    pos: src.valuePos(path),
    jsonPath: jsonPath(path),
    hint: expected === 'string' ? 'write the value in double quotes' : undefined,
  });
}

/** `string "2048"`, `number 12.8`: enough to see what was written. */
export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** The value at a path, or undefined. */
export function valueAt(root: unknown, path: JsonPathSegments): unknown {
  let value = root;
  for (const segment of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

function cloneJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneJson);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    Object.defineProperty(out, k, { value: cloneJson(v), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Values the validator changed in the copy: written with the wrong type. */
function coercions(original: unknown, copy: unknown, path: Array<string | number>): Array<{ path: Array<string | number>; expected: string }> {
  if (kind(original) !== kind(copy) || (kind(original) !== 'object' && kind(original) !== 'array' && original !== copy)) {
    return [{ path, expected: kind(copy) }];
  }
  if (Array.isArray(original)) return original.flatMap((v, i) => coercions(v, (copy as unknown[])[i], [...path, i]));
  if (original && typeof original === 'object') {
    return Object.entries(original).flatMap(([k, v]) => coercions(v, (copy as Record<string, unknown>)[k], [...path, k]));
  }
  return [];
}

/**
 * Keys that are an edit or two away from a key phoenix reads, in an object where that key is absent
 * (`runfile_sha265`, `gpu_assigment`): unknown keys are allowed, but these would silently change what phoenix does.
 */
export function checkKeyTypos(src: JsonSource, path: JsonPathSegments, known: readonly string[], errors: ErrorList): void {
  const object = valueAt(src.value, path);
  if (!object || typeof object !== 'object' || Array.isArray(object)) return;
  for (const key of Object.keys(object)) {
    if (known.includes(key) || key.length < 6) continue;
    // Short names are close to many others (ports/cores): allow one edit below 10 characters, two from there.
    const near = known.find((k) => !Object.hasOwn(object, k) && editDistance(key, k) <= (Math.min(key.length, k.length) < 10 ? 1 : 2));
    if (!near) continue;
    errors.add(new PhoenixError('E_CONFIG_UNKNOWN_KEY', `${src.file}: unknown key '${key}' in ${jsonPath(path)}; did you mean '${near}'?`, {
      pos: src.keyPos([...path, key]),
      jsonPath: jsonPath([...path, key]),
      hint: `rename it to '${near}'`,
    }));
  }
}

/** Optimal string alignment distance (insertions, deletions, substitutions, adjacent swaps). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
