import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { existsSync, readdirSync } from 'node:fs';
import { ErrorList, type SourcePosition } from '../errors.js';
import { PositionMap } from '../load/yaml-file.js';
import { checkTemplate, isTemplated } from '../vars/template.js';
import { findModule } from '../../modules/registry.js';
import { FEATURES_DIR_VAR } from '../config/features-dir.js';
import {
  BLOCK_KEYWORDS, PLAY_KEYWORDS, TASK_KEYWORDS, blockKeywordSchema, playKeywordSchema, taskKeywordSchema,
} from './keywords.js';
import type { BlockNode, Inherited, IncludeNode, MetaNode, Node, Play, Playbook, TaskNode } from './types.js';
import { bool, fail, isMap, list, readFile, start, type LoadContext, type Raw, type Source } from './load-context.js';
import { checkModuleArgs, checkTaskTemplates, moduleArgs } from './task-args.js';
import { checkKeywords, checkNotify, checkSchema, conditions, emptyInherited, inheritedOf } from './load-checks.js';

/** Options of {@link loadPlaybook}. */
export interface LoadPlaybookOptions {
  /**
   * The value `phoenix_features_dir` will have (absolute): an include of `{{ phoenix_features_dir }}/{{ feature }}.yml`
   * then reads and validates every `.yml` there at load time, as it does for a relative `features/{{ feature }}.yml`.
   */
  featuresDir?: string;
}

const META_ACTIONS = new Set(['flush_handlers', 'noop', 'end_play', 'end_host', 'clear_host_errors', 'refresh_inventory']);
const INCLUDE_KEYS = new Set(['include_tasks', 'import_tasks', 'ansible.builtin.include_tasks', 'ansible.builtin.import_tasks']);

/**
 * Loads a playbook and everything it statically references, collecting every error (unknown keywords and modules,
 * wrong types, conditions and templates that do not parse, notify without handler) into `errors`.
 */
export function loadPlaybook(file: string, errors: ErrorList, options: LoadPlaybookOptions = {}): Playbook {
  const path = resolve(file);
  const ctx: LoadContext = { errors, playbookDir: dirname(path), files: new Map(), including: [path], featuresDir: options.featuresDir, featureIncludes: [] };
  const playbook = loadPlaybookFile(ctx, path);
  playbook.featureIncludes = ctx.featureIncludes;
  return playbook;
}

function loadPlaybookFile(ctx: LoadContext, path: string): Playbook {
  const yaml = readFile(ctx, path, 'E_PLAYBOOK_MISSING');
  const playbook: Playbook = { file: path, dir: dirname(path), plays: [] };
  if (!yaml) return playbook;
  if (!Array.isArray(yaml.value)) {
    fail(ctx, 'E_PLAYBOOK_SHAPE', 'a playbook must be a list of plays', yaml.positions.of(yaml.value) ?? start(path),
      'start the file with "- hosts: ..."');
    return playbook;
  }
  const src: Source = { yaml, dir: dirname(path) };
  yaml.value.forEach((raw, i) => {
    if (!isMap(raw)) {
      fail(ctx, 'E_PLAY_SHAPE', 'each play must be a mapping', yaml.positions.valueOf(yaml.value, i) ?? start(path));
      return;
    }
    if ('import_playbook' in raw) {
      playbook.plays.push(...importPlaybook(ctx, src, raw));
      return;
    }
    const play = parsePlay(ctx, src, raw);
    if (play) playbook.plays.push(play);
  });
  return playbook;
}

function importPlaybook(ctx: LoadContext, src: Source, raw: Raw): Play[] {
  const target = resolve(src.dir, String(raw.import_playbook));
  if (ctx.including.includes(target)) {
    fail(ctx, 'E_INCLUDE_CYCLE', `import_playbook cycle: ${target}`, src.yaml.positions.of(raw, 'import_playbook')!);
    return [];
  }
  ctx.including.push(target);
  // The imported playbook's relative includes are relative to it (its own playbook directory).
  const inner = loadPlaybookFile({ ...ctx, playbookDir: dirname(target) }, target);
  ctx.including.pop();
  return inner.plays;
}

function parsePlay(ctx: LoadContext, src: Source, raw: Raw): Play | undefined {
  const pos = src.yaml.positions.of(raw)!;
  checkKeywords(ctx, src, raw, PLAY_KEYWORDS, 'play');
  checkSchema(ctx, src, raw, playKeywordSchema);
  if ('roles' in raw) fail(ctx, 'E_UNSUPPORTED', 'roles are not supported yet; use import_tasks', src.yaml.positions.of(raw, 'roles')!);
  // Play vars stay out of the inherited vars: vars_files rank between play vars and block/task vars.
  const base = inheritedOf(ctx, src, { ...raw, vars: undefined }, emptyInherited());
  base.anyErrorsFatal = bool(raw.any_errors_fatal);
  const play: Play = {
    ...base,
    playVars: isMap(raw.vars) ? raw.vars : {},
    name: raw.name !== undefined ? String(raw.name) : hostsText(raw.hosts),
    hosts: hostsText(raw.hosts),
    hostsPos: src.yaml.positions.valueOf(raw, 'hosts'),
    pos,
    gatherFacts: raw.gather_facts === undefined ? false : bool(raw.gather_facts) ?? false,
    varsFiles: list(raw.vars_files),
    preTasks: [...gatherFactsTask(src, raw, base, pos), ...parseNodes(ctx, src, raw.pre_tasks, base)],
    tasks: parseNodes(ctx, src, raw.tasks, base),
    postTasks: parseNodes(ctx, src, raw.post_tasks, base),
    handlers: parseHandlers(ctx, src, raw.handlers, base),
    serial: raw.serial === undefined ? undefined : (Array.isArray(raw.serial) ? raw.serial : [raw.serial]) as Array<number | string>,
    maxFailPercentage: typeof raw.max_fail_percentage === 'number' ? raw.max_fail_percentage : undefined,
    forceHandlers: bool(raw.force_handlers) ?? false,
    varsFromFiles: {},
  };
  play.varsFromFiles = loadVarsFiles(ctx, src, raw, play.varsFiles);
  checkNotify(ctx, src, play);
  return play;
}

/**
 * `gather_facts: true`: as in Ansible, a "Gathering Facts" task running `setup` before the play's pre_tasks, tagged
 * `always` (it runs whatever --tags selects) and run in check mode too (it only reads). Off by default in phoenix.
 */
function gatherFactsTask(src: Source, raw: Raw, base: Inherited, pos: SourcePosition): TaskNode[] {
  if (raw.gather_facts === undefined || bool(raw.gather_facts) !== true) return [];
  return [{
    ...base,
    tags: [...base.tags, 'always'],
    checkMode: false,
    kind: 'task',
    name: 'Gathering Facts',
    module: 'setup',
    args: {},
    pos: src.yaml.positions.of(raw, 'gather_facts') ?? pos,
    loopVar: 'item',
    retries: 0,
    delay: 5,
    notify: [],
    listen: [],
    dir: src.dir,
  }];
}

function hostsText(hosts: unknown): string {
  return Array.isArray(hosts) ? hosts.join(',') : String(hosts ?? '');
}

/** vars_files with literal names are read now, so a missing or broken file stops the run before it starts. */
function loadVarsFiles(ctx: LoadContext, src: Source, raw: Raw, names: string[]): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const name of names) {
    if (isTemplated(name)) {
      fail(ctx, 'E_UNSUPPORTED', `templated vars_files are not supported: ${name}`, src.yaml.positions.of(raw, 'vars_files')!);
      continue;
    }
    const yaml = readFile(ctx, resolve(src.dir, name), 'E_VARS_FILE_MISSING', src.yaml.positions.of(raw, 'vars_files'));
    if (!yaml) continue;
    if (yaml.value === null) continue;
    if (!isMap(yaml.value)) {
      fail(ctx, 'E_VARS_SHAPE', `vars file must be a mapping: ${name}`, yaml.positions.of(yaml.value) ?? start(yaml.file));
      continue;
    }
    Object.assign(merged, yaml.value);
  }
  return merged;
}

function parseHandlers(ctx: LoadContext, src: Source, value: unknown, parent: Inherited): TaskNode[] {
  const nodes = parseNodes(ctx, src, value, parent);
  const handlers: TaskNode[] = [];
  for (const node of nodes) {
    if (node.kind === 'task') handlers.push(node);
    else fail(ctx, 'E_UNSUPPORTED', 'handlers must be plain tasks', node.pos);
  }
  return handlers;
}

/** Parses a task list (tasks, block, rescue, always, an included file). */
export function parseNodes(ctx: LoadContext, src: Source, value: unknown, parent: Inherited): Node[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    fail(ctx, 'E_TASKS_SHAPE', 'a task list must be a YAML list', src.yaml.positions.of(value) ?? start(src.yaml.file));
    return [];
  }
  const nodes: Node[] = [];
  value.forEach((raw, i) => {
    if (!isMap(raw)) {
      fail(ctx, 'E_TASK_SHAPE', 'each task must be a mapping', src.yaml.positions.valueOf(value, i) ?? start(src.yaml.file));
      return;
    }
    nodes.push(...parseNode(ctx, src, raw, parent));
  });
  return nodes;
}

function parseNode(ctx: LoadContext, src: Source, raw: Raw, parent: Inherited): Node[] {
  if ('block' in raw) return [parseBlock(ctx, src, raw, parent)];
  const includeKey = Object.keys(raw).find((k) => INCLUDE_KEYS.has(k));
  if (includeKey?.endsWith('import_tasks')) return importTasks(ctx, src, raw, includeKey, parent);
  if (includeKey) return [parseInclude(ctx, src, raw, includeKey, parent)];
  if ('meta' in raw || 'ansible.builtin.meta' in raw) return [parseMeta(ctx, src, raw, parent)];
  const task = parseTask(ctx, src, raw, parent);
  return task ? [task] : [];
}

function parseBlock(ctx: LoadContext, src: Source, raw: Raw, parent: Inherited): BlockNode {
  checkKeywords(ctx, src, raw, BLOCK_KEYWORDS, 'block');
  checkSchema(ctx, src, raw, blockKeywordSchema);
  const inherited = inheritedOf(ctx, src, raw, parent);
  return {
    ...inherited,
    kind: 'block',
    name: raw.name === undefined ? undefined : String(raw.name),
    block: parseNodes(ctx, src, raw.block, inherited),
    rescue: parseNodes(ctx, src, raw.rescue, inherited),
    always: parseNodes(ctx, src, raw.always, inherited),
    pos: src.yaml.positions.of(raw)!,
  };
}

function importTasks(ctx: LoadContext, src: Source, raw: Raw, key: string, parent: Inherited): Node[] {
  checkKeywords(ctx, src, raw, new Set([key, 'name', 'when', 'tags', 'vars', 'become', 'no_log', 'ignore_errors', 'check_mode', 'diff']), 'import_tasks');
  const file = includeFileName(raw[key]);
  const pos = src.yaml.positions.of(raw, key)!;
  if (!file || isTemplated(file)) {
    fail(ctx, 'E_IMPORT_TEMPLATED', 'import_tasks needs a literal file name (use include_tasks for templated names)', pos);
    return [];
  }
  const inherited = inheritedOf(ctx, src, raw, parent);
  return loadTasksFile(ctx, src, file, pos, inherited) ?? [];
}

function parseInclude(ctx: LoadContext, src: Source, raw: Raw, key: string, parent: Inherited): IncludeNode {
  checkKeywords(ctx, src, raw, new Set([key, 'name', 'when', 'tags', 'vars', 'loop', 'with_items', 'loop_control', 'no_log', 'ignore_errors', 'apply']), 'include_tasks');
  checkSchema(ctx, src, raw, taskKeywordSchema);
  const file = includeFileName(raw[key]) ?? '';
  const pos = src.yaml.positions.of(raw)!;
  const own = inheritedOf(ctx, src, raw, parent);
  const node: IncludeNode = {
    ...own,
    kind: 'include',
    name: raw.name !== undefined ? String(raw.name) : 'include_tasks',
    file,
    pos,
    dir: src.dir,
    loop: raw.loop ?? raw.with_items,
    loopVar: loopVar(raw),
  };
  // Tasks of a dynamic include inherit the block around the include, not the include's own when/tags (Ansible).
  if (file && !isTemplated(file)) node.preloaded = loadTasksFile(ctx, src, file, pos, { ...parent, vars: { ...parent.vars } });
  else {
    checkTemplate(file, { pos });
    if (FEATURES_DIR_REF.test(file)) ctx.featureIncludes.push(pos);
    // The variable's value is known now, but a play may still override it: only the candidates use it.
    const pattern = ctx.featuresDir === undefined ? file : file.replace(FEATURES_DIR_EXPR, () => ctx.featuresDir!);
    node.candidates = loadCandidates(ctx, src, pattern, pos, parent);
  }
  return node;
}

/** A template that uses `phoenix_features_dir` (the configuration's features directory). */
const FEATURES_DIR_REF = new RegExp(`\\{\\{[^}]*\\b${FEATURES_DIR_VAR}\\b[^}]*\\}\\}`);
/** `{{ phoenix_features_dir }}` itself, whose value the loader may know. */
const FEATURES_DIR_EXPR = new RegExp(`\\{\\{\\s*${FEATURES_DIR_VAR}\\s*\\}\\}`, 'g');

function includeFileName(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isMap(value) && typeof value.file === 'string') return value.file;
  return undefined;
}

/**
 * A templated include (`features/{{ feature }}.yml`) can name any file matching its static parts
 * (`features/*.yml`): all of them are read and validated now, so a broken one stops the run before it starts.
 */
function loadCandidates(ctx: LoadContext, src: Source, name: string, pos: SourcePosition, parent: Inherited): Map<string, Node[]> {
  const found = new Map<string, Node[]>();
  const pattern = name.replace(/\{\{.*?\}\}/g, '\u0000');
  const dir = dirname(pattern);
  if (dir.includes('\u0000')) return found;
  const [prefix, ...rest] = basename(pattern).split('\u0000');
  const suffix = rest.length > 0 ? rest[rest.length - 1] : '';
  for (const folder of isAbsolute(dir) ? [dir] : [join(src.dir, dir), join(ctx.playbookDir, dir)]) {
    if (!existsSync(folder)) continue;
    for (const entry of readdirSync(folder).sort()) {
      if (!entry.startsWith(prefix) || !entry.endsWith(suffix) || entry.length < prefix.length + suffix.length) continue;
      const path = join(folder, entry);
      if (found.has(path)) continue;
      const nodes = loadTasksFile(ctx, src, path, pos, { ...parent, vars: { ...parent.vars } });
      if (nodes) found.set(path, nodes);
    }
  }
  return found;
}

/** Reads a tasks file relative to the including file, then to the playbook. */
export function loadTasksFile(ctx: LoadContext, src: Source, name: string, pos: SourcePosition, parent: Inherited): Node[] | undefined {
  const candidates = isAbsolute(name) ? [name] : [join(src.dir, name), join(src.dir, 'tasks', name), join(ctx.playbookDir, name)];
  const path = candidates.find((c) => existsSync(c));
  if (!path) {
    fail(ctx, 'E_TASKS_FILE_MISSING', `tasks file not found: ${name}`, pos, `looked in ${candidates.join(', ')}`);
    return undefined;
  }
  if (ctx.including.includes(path)) {
    fail(ctx, 'E_INCLUDE_CYCLE', `tasks file includes itself: ${path}`, pos);
    return undefined;
  }
  const yaml = readFile(ctx, path, 'E_TASKS_FILE_MISSING', pos);
  if (!yaml) return undefined;
  ctx.including.push(path);
  const nodes = parseNodes(ctx, { yaml, dir: dirname(path) }, yaml.value, parent);
  ctx.including.pop();
  return nodes;
}

/** Loads a tasks file named by a template, when the include is reached; its errors fail the including host. */
export function loadTasksAtRuntime(name: string, node: { dir: string; pos: SourcePosition }, playbookDir: string, parent: Inherited): Node[] {
  const errors = new ErrorList();
  const ctx: LoadContext = { errors, playbookDir, files: new Map(), including: [], featureIncludes: [] };
  const nodes = loadTasksFile(ctx, { yaml: { file: node.pos.file, value: null, positions: new PositionMap(), text: '' }, dir: node.dir }, name, node.pos, parent);
  errors.throwIfAny();
  return nodes ?? [];
}

function parseMeta(ctx: LoadContext, src: Source, raw: Raw, parent: Inherited): MetaNode {
  const key = 'meta' in raw ? 'meta' : 'ansible.builtin.meta';
  checkKeywords(ctx, src, raw, new Set([key, 'name', 'when', 'tags']), 'meta');
  const action = String(raw[key]);
  const pos = src.yaml.positions.of(raw)!;
  if (!META_ACTIONS.has(action)) fail(ctx, 'E_UNKNOWN_META', `unknown meta action '${action}'`, src.yaml.positions.valueOf(raw, key) ?? pos);
  return { ...inheritedOf(ctx, src, raw, parent), kind: 'meta', name: raw.name ? String(raw.name) : `meta: ${action}`, action: action as MetaNode['action'], pos };
}

function parseTask(ctx: LoadContext, src: Source, raw: Raw, parent: Inherited): TaskNode | undefined {
  const pos = src.yaml.positions.of(raw)!;
  const candidates = Object.keys(raw).filter((k) => !TASK_KEYWORDS.has(k));
  const known = candidates.filter((k) => findModule(k));
  const unknown = candidates.filter((k) => !findModule(k));
  if (known.length > 1) fail(ctx, 'E_MULTIPLE_MODULES', `a task can call one module, found: ${known.join(', ')}`, pos);
  if (known.length === 0 && unknown.length === 1) {
    fail(ctx, 'E_UNKNOWN_MODULE', `unknown module '${unknown[0]}'`, src.yaml.positions.of(raw, unknown[0])!,
      'check the spelling; `phoenix` lists its modules in the README');
  } else {
    for (const key of known.length === 0 && unknown.length === 0 ? [] : unknown) {
      fail(ctx, 'E_UNKNOWN_KEYWORD', `'${key}' is not a valid task keyword`, src.yaml.positions.of(raw, key)!);
    }
  }
  if (known.length === 0 && unknown.length === 0) fail(ctx, 'E_NO_MODULE', 'task has no module', pos);
  checkSchema(ctx, src, raw, taskKeywordSchema);
  if (known.length !== 1) return undefined;
  const moduleKey = known[0];
  const module = findModule(moduleKey)!;
  const inherited = inheritedOf(ctx, src, raw, parent);
  const args = moduleArgs(ctx, src, raw, moduleKey);
  const task: TaskNode = {
    ...inherited,
    kind: 'task',
    name: raw.name !== undefined ? String(raw.name) : module.name,
    module: module.name,
    args,
    pos,
    register: raw.register as string | undefined,
    loop: raw.loop ?? raw.with_items ?? raw.with_list,
    loopVar: loopVar(raw),
    loopLabel: isMap(raw.loop_control) && typeof raw.loop_control.label === 'string' ? raw.loop_control.label : undefined,
    changedWhen: conditions(ctx, src, raw, 'changed_when'),
    failedWhen: conditions(ctx, src, raw, 'failed_when'),
    until: conditions(ctx, src, raw, 'until'),
    retries: raw.retries === undefined ? (raw.until !== undefined ? 3 : 0) : Number(raw.retries),
    delay: raw.delay === undefined ? 5 : Number(raw.delay),
    notify: list(raw.notify),
    listen: list(raw.listen),
    dir: src.dir,
  };
  checkTaskTemplates(ctx, src, raw, task);
  checkModuleArgs(ctx, src, raw, moduleKey, task);
  return task;
}

function loopVar(raw: Raw): string {
  return isMap(raw.loop_control) && typeof raw.loop_control.loop_var === 'string' ? raw.loop_control.loop_var : 'item';
}

