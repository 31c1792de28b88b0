/**
 * The state of one playbook load (errors so far, files parsed, the include chain) and the small helpers every part
 * of the loader uses: reading a YAML file once, recording an error at a position, reading YAML booleans and lists.
 */
import { PhoenixError, type ErrorList, type SourcePosition } from '../errors.js';
import { loadYamlFile, type LoadedYaml } from '../load/yaml-file.js';

export type Raw = Record<string, unknown>;

/** State of one load: the errors so far and the files already parsed (a tasks file included twice is read once). */
export interface LoadContext {
  errors: ErrorList;
  playbookDir: string;
  files: Map<string, LoadedYaml | undefined>;
  /** Include chain, to refuse an include cycle instead of recursing forever. */
  including: string[];
  /** Where `{{ phoenix_features_dir }}` points (the inventory decides it), to read and check the feature files now. */
  featuresDir?: string;
  /** Includes whose file name uses `phoenix_features_dir`: the playbook uses the configuration's features. */
  featureIncludes: SourcePosition[];
}

export interface Source {
  yaml: LoadedYaml;
  dir: string;
}

export function readFile(ctx: LoadContext, path: string, code: string, pos?: SourcePosition): LoadedYaml | undefined {
  if (ctx.files.has(path)) return ctx.files.get(path);
  const yaml = loadYamlFile(path, ctx.errors, code);
  if (!yaml && pos) {
    const last = ctx.errors.errors[ctx.errors.errors.length - 1];
    if (last?.code === code && !last.pos) last.pos = pos;
  }
  ctx.files.set(path, yaml);
  return yaml;
}

export function guard(ctx: LoadContext, check: () => unknown): void {
  try {
    check();
  } catch (error) {
    if (error instanceof PhoenixError) ctx.errors.add(error);
    else throw error;
  }
}

export function fail(ctx: LoadContext, code: string, message: string, pos: SourcePosition, hint?: string): void {
  ctx.errors.add(new PhoenixError(code, message, { pos, hint }));
}

export function start(file: string): SourcePosition {
  return { file, line: 1, column: 1 };
}

export function isMap(value: unknown): value is Raw {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function bool(value: unknown): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') return ['yes', 'true', 'on', '1'].includes(value.toLowerCase());
  return Boolean(value);
}

export function list(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}
