import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { shellCommand } from '../interpreter/connection/quote.js';
import { keyringBytes } from './apt/dearmor.js';
import { aptUpdate } from './apt/apt-update.js';
import { renderDeb822, renderList, renderPin, type EntrySpec, type PinSpec } from './apt/repo-entry.js';
import { fetchKey, planningRepoFacts, probeRepo, SOURCES_DIR, SOURCES_LIST, type RepoFacts } from './apt/repo-probe.js';
import { parseSources, removeUri, type SourceFile } from './apt/sources.js';
import { exclusive, given, oneRequired, when } from './common/rules.js';
import { createDirs, dirChanges, SYSTEM_DIR, type DirPlan } from './common/parents.js';
import { runChecked } from './common/run-checked.js';
import { ModuleFailure, type Change, type Module, type ModuleContext, type Plan } from './types.js';

export interface AptRepoArgs {
  name: string;
  uri?: string;
  suite?: string;
  components?: string[];
  key_url?: string;
  key_file?: string;
  key_content?: string;
  keyring?: string;
  format?: 'deb822' | 'list' | 'auto';
  pin?: PinSpec;
  arch?: string | string[];
  state?: 'present' | 'absent';
  update_cache?: boolean;
}

/** What apply does: whole files written (temp + rename) and files removed. */
export interface RepoState {
  writes: Array<{ path: string; content: Buffer | string }>;
  removes: string[];
  /** Directories to create before the writes (a fresh image may lack /etc/apt/keyrings or sources.list.d). */
  dirs?: DirPlan;
}

/** One line of a pin file: no line breaks (they would add fields). */
const LINE = '^[^\\r\\n]+$';
const ARCH = '^[a-z0-9-]+$';
const ONE_LINE = { type: 'string', pattern: LINE, expected: 'one line of text' };
const ARCHITECTURE = { type: 'string', pattern: ARCH, expected: 'a Debian architecture such as amd64' };
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
/** The file the `cuda-keyring` package installs (`cuda-<distro>-<arch>.list`), named in summaries. */
const CUDA_KEYRING_LIST = /^cuda-[a-z0-9]+-[a-z0-9_]+\.list$/;

/**
 * Check mode: the repository (name) whose change this run plans on a host, after which it runs apt-get update; an
 * apt task after it cannot simulate installing from it yet (see apt's plan).
 */
export const PLANNED_REPO = 'apt-repo';

function pinPath(name: string): string {
  return `/etc/apt/preferences.d/${name}`;
}

function keyringPath(args: AptRepoArgs): string {
  return args.keyring ?? `/usr/share/keyrings/${args.name}-archive-keyring.gpg`;
}

/** The key from the controller (key_file, key_content), or undefined for key_url (fetched on the target); the schema wants one. */
async function controllerKey(ctx: ModuleContext, args: AptRepoArgs): Promise<Buffer | undefined> {
  if (args.key_content !== undefined) return Buffer.from(args.key_content, 'utf8');
  if (args.key_file === undefined) return undefined;
  const path = ctx.resolvePath(args.key_file);
  try {
    return await readFile(path);
  } catch (error) {
    throw new ModuleFailure(`cannot read key_file ${path}: ${(error as Error).message}`);
  }
}

function entrySpec(args: AptRepoArgs, uri: string): EntrySpec {
  const suite = args.suite ?? '/';
  const components = args.components ?? [];
  const architectures = args.arch === undefined ? [] : Array.isArray(args.arch) ? args.arch : [args.arch];
  return { name: args.name, uri, suite, components, keyring: keyringPath(args), architectures };
}

/** Every other definition of the URI, in every sources file, becomes a rewrite or a removal. */
function duplicateChanges(files: SourceFile[], uri: string, skip: string, state: RepoState): Change[] {
  const changes: Change[] = [];
  for (const file of files) {
    if (file.path === skip) continue;
    const edit = removeUri(file, uri, file.path === SOURCES_LIST);
    if (!edit) continue;
    const what = edit.removed.join('; ');
    const owner = CUDA_KEYRING_LIST.test(posix.basename(file.path)) ? ' (the cuda-keyring package’s file; this entry replaces it)' : '';
    if (edit.after === null) {
      state.removes.push(file.path);
      changes.push({ summary: `remove ${file.path}: ${what}${owner}`, diff: { path: file.path, before: edit.before, after: '' } });
    } else {
      state.writes.push({ path: file.path, content: edit.after });
      changes.push({ summary: `rewrite ${file.path} without ${what}`, diff: { path: file.path, before: edit.before, after: edit.after } });
    }
  }
  return changes;
}

function fileChange(state: RepoState, path: string, before: string | null, after: string): Change[] {
  if (before === after) return [];
  state.writes.push({ path, content: after });
  return [{ summary: `${before === null ? 'create' : 'update'} ${path}`, diff: { path, before: before ?? '', after } }];
}

function keyringChange(state: RepoState, path: string, facts: RepoFacts, key: Buffer): Change[] {
  const want = sha256(key);
  if (facts.keyringSha256 === want) return [];
  state.writes.push({ path, content: key });
  const before = facts.keyringSha256 ? `sha256 ${facts.keyringSha256}\n` : '';
  return [{ summary: `${before ? 'update' : 'create'} keyring ${path}`, diff: { path, before, after: `sha256 ${want}\n` } }];
}

/** The directories the planned writes need, each once, outermost first. */
function writeDirs(state: RepoState, facts: RepoFacts): DirPlan {
  const dirs = new Set<string>();
  for (const w of state.writes) for (const d of facts.missingDirs[posix.dirname(w.path)] ?? []) dirs.add(d);
  return { ...SYSTEM_DIR, dirs: [...dirs].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b)) };
}

/**
 * `format: auto`: deb822 `.sources` where the host's apt makes it the default (apt 3, Debian 13 / Proxmox VE 9: its
 * release notes move every source to `.sources`, `apt update --audit` asks to upgrade one-line entries and `apt
 * modernize-sources` converts them), one-line `.list` below (Debian 12 / PVE 8, whose own files are one-line).
 */
export async function defaultFormat(ctx: ModuleContext): Promise<{ format: 'deb822' | 'list'; why: string }> {
  const r = await ctx.conn.run("dpkg-query -W -f='${Version}' apt 2>/dev/null");
  const version = r.rc === 0 ? r.stdout.trim() : '';
  const major = Number(/^(?:\d+:)?(\d+)/.exec(version)?.[1] ?? NaN);
  if (major >= 3) return { format: 'deb822', why: `apt ${version} takes deb822 .sources by default` };
  return { format: 'list', why: version ? `apt ${version} predates deb822 by default` : 'apt\'s version is unknown' };
}

/**
 * A key_url's key as the first host of this run that needed it downloaded it (on its side, as every host would):
 * 30 containers compare their keyrings with one download, not 30. Undefined without key_url, where nothing is
 * shared, or when that download failed: the host then downloads the key itself and reports its own failure.
 */
async function sharedKey(ctx: ModuleContext, url: string | undefined): Promise<Buffer | undefined> {
  if (!url || !ctx.oncePerRun) return undefined;
  return ctx.oncePerRun(`apt_repo key_url ${url}`, () => fetchKey(ctx.conn, url)).catch(() => undefined);
}

async function planPresent(ctx: ModuleContext, args: AptRepoArgs): Promise<Plan<RepoState>> {
  const uri = args.uri!;
  const spec = entrySpec(args, uri);
  const fromController = await controllerKey(ctx, args);
  const shared = fromController ? undefined : await sharedKey(ctx, args.key_url);
  const facts = await planningRepoFacts(ctx, {
    keyring: spec.keyring, keyUrl: shared ? undefined : args.key_url, pinPath: args.pin ? pinPath(args.name) : undefined,
  });
  let key: Buffer;
  try {
    key = keyringBytes(fromController ?? shared ?? facts.key!, spec.keyring);
  } catch (error) {
    throw new ModuleFailure(`key from ${args.key_url ?? args.key_file ?? 'key_content'}: ${(error as Error).message}`);
  }
  const chosen = args.format === 'auto' ? await defaultFormat(ctx) : undefined;
  const format = chosen?.format ?? (args.format === 'list' ? 'list' : 'deb822');
  const own = `${SOURCES_DIR}/${args.name}.${format === 'deb822' ? 'sources' : 'list'}`;
  const state: RepoState = { writes: [], removes: [] };
  const current = facts.files.find((f) => f.path === own)?.text ?? null;
  const files = [
    ...keyringChange(state, spec.keyring, facts, key),
    ...fileChange(state, own, current, format === 'deb822' ? renderDeb822(spec) : renderList(spec)),
    ...duplicateChanges(facts.files, uri, own, state),
    ...(args.pin ? fileChange(state, pinPath(args.name), facts.pin, renderPin(args.name, args.pin)) : []),
  ];
  state.dirs = writeDirs(state, facts);
  const changes = [...dirChanges(state.dirs), ...files];
  const reason =
    `repository ${args.name} is configured: ${own} is the only definition of ${args.uri} ${spec.suite}, ` +
    `keyring ${spec.keyring} has the key (sha256 ${sha256(key).slice(0, 12)})${args.pin ? `, pin ${pinPath(args.name)} is current` : ''}` +
    (chosen ? ` (format ${format}: ${chosen.why})` : '');
  return { changes, reason, state, data: { sources_file: own, keyring: spec.keyring, key_sha256: sha256(key), format } };
}

/** Removal: the module's own files, every definition of `uri` if given, its pin, and its keyring if nothing uses it. */
async function planAbsent(ctx: ModuleContext, args: AptRepoArgs): Promise<Plan<RepoState>> {
  const keyring = keyringPath(args);
  const facts = await probeRepo(ctx.conn, { keyring, pinPath: pinPath(args.name) });
  const state: RepoState = { writes: [], removes: [] };
  const changes: Change[] = [];
  const own = [`${SOURCES_DIR}/${args.name}.sources`, `${SOURCES_DIR}/${args.name}.list`];
  for (const file of facts.files.filter((f) => own.includes(f.path))) {
    state.removes.push(file.path);
    changes.push({ summary: `remove ${file.path}`, diff: { path: file.path, before: file.text, after: '' } });
  }
  const others = facts.files.filter((f) => !own.includes(f.path));
  if (args.uri) changes.push(...duplicateChanges(others, args.uri, '', state));
  if (facts.pin !== null) {
    state.removes.push(pinPath(args.name));
    changes.push({ summary: `remove ${pinPath(args.name)}`, diff: { path: pinPath(args.name), before: facts.pin, after: '' } });
  }
  if (facts.keyringSha256 && !keyringStillUsed(others, state, keyring)) {
    state.removes.push(keyring);
    changes.push({ summary: `remove keyring ${keyring}`, diff: { path: keyring, before: `sha256 ${facts.keyringSha256}\n`, after: '' } });
  }
  const reason = `repository ${args.name} is absent: no ${own.join(' or ')}${args.uri ? `, no definition of ${args.uri}` : ''}, no pin, no keyring ${keyring}`;
  return { changes, reason, state };
}

/** Whether a source entry left after the planned edits still names the keyring in its Signed-By. */
function keyringStillUsed(files: SourceFile[], state: RepoState, keyring: string): boolean {
  const after = files
    .filter((f) => !state.removes.includes(f.path))
    .map((f) => ({ path: f.path, text: String(state.writes.find((w) => w.path === f.path)?.content ?? f.text) }));
  return after.some((f) => parseSources(f).some((e) => e.options['signed-by']?.trim() === keyring));
}

async function applyRepo(ctx: ModuleContext, args: AptRepoArgs, state: RepoState): Promise<Record<string, unknown>> {
  await createDirs(ctx.conn, state.dirs);
  for (const write of state.writes) await ctx.conn.put(write.content, write.path, { mode: 0o644 });
  if (state.removes.length) await runChecked(ctx.conn, shellCommand('rm', '-f', '--', ...state.removes), 'removing files');
  const update = args.update_cache ?? true;
  if (update) await aptUpdate(ctx);
  return { files_written: state.writes.map((w) => w.path), files_removed: state.removes, cache_updated: update };
}

const PRESENT = { not: given('state', ['absent']) };
const KEYS = ['key_url', 'key_file', 'key_content'];
const FLAT = { properties: { suite: { pattern: '/$' } } };

/** What state=present needs, and how a suite and its components go together, as schema clauses. */
const RULES = [
  when(PRESENT, { required: ['uri'] }, 'state=present needs uri'),
  when(PRESENT, { allOf: [oneRequired(KEYS), { not: { anyOf: exclusive(...KEYS).map((r) => r.not) } }] },
    'state=present needs exactly one of key_url, key_file, key_content'),
  when({ allOf: [PRESENT, FLAT] }, { properties: { components: { maxItems: 0 } } }, "a flat repository's suite (default \"/\", or one ending in /) takes no components"),
  when({ allOf: [PRESENT, { required: ['suite'], properties: { suite: { not: { pattern: '/$' } } } }] }, { required: ['components'], properties: { components: { minItems: 1 } } },
    "suite needs components (a flat repository's suite ends in /)"),
];

/**
 * One apt repository with its keyring, its single source entry (deb822 or one-line) and an optional pin; every
 * other definition of the same URI in sources.list and sources.list.d (both formats) is removed or rewritten away,
 * so apt never sees two Signed-By values for one source. `apt-get update` runs only after a change.
 */
export const aptRepo: Module<AptRepoArgs, RepoState> = {
  name: 'apt_repo',
  schema: {
    type: 'object',
    description:
      'One apt repository: keyring, a single source entry and an optional pin. Every other active definition of the same ' +
      'URI (trailing slashes ignored; http and https differ) in /etc/apt/sources.list and sources.list.d/*.list|*.sources ' +
      'is removed, or rewritten out of a file that defines more (other lines and stanzas kept byte for byte; ' +
      '/etc/apt/sources.list is never deleted). This includes the cuda-keyring package\'s cuda-<distro>-<arch>.list: ' +
      'the module\'s entry replaces it (dpkg does not recreate a deleted conffile on upgrade). apt-get update runs only ' +
      'after a change.',
    properties: {
      name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$', expected: 'a file name of letters, digits, _, . or -', description: 'Names the files: sources.list.d/<name>.sources|.list, preferences.d/<name>.' },
      uri: { type: 'string', pattern: '^[a-z][a-z0-9+.-]*:\\S+$', expected: 'a URI without spaces, such as https://host/path/', description: 'Repository URI; required for state=present. With state=absent, every definition of it is removed too.' },
      suite: { type: 'string', minLength: 1, pattern: '^\\S+$', expected: 'one word (no spaces)', description: 'Suite; default "/" (a flat repository such as NVIDIA\'s, which takes no components).' },
      components: { type: 'array', items: { type: 'string', pattern: '^\\S+$', expected: 'one word (no spaces)' }, description: 'Components; required unless the suite ends in "/".' },
      key_url: { type: 'string', description: 'Key downloaded on the target (curl, wget or python3, whichever it has), armored or binary.' },
      key_file: { type: 'string', description: 'Key file on the controller (relative to the playbook), armored or binary.' },
      key_content: { type: 'string', description: 'The armored key itself.' },
      keyring: { type: 'string', pattern: '^/\\S+$', expected: 'an absolute path without spaces', description: 'Keyring path, default /usr/share/keyrings/<name>-archive-keyring.gpg. Armored keys are dearmored on the controller (same bytes as gpg --dearmor), except into a .asc keyring, which apt reads armored; compared by sha256.' },
      format: { enum: ['deb822', 'list', 'auto'], description: 'deb822 .sources (default), one-line .list, or auto: deb822 where the host\'s apt is 3 or later (Debian 13, Proxmox VE 9), one-line below (Debian 12, PVE 8). Either way the entry\'s Signed-By names the keyring file.' },
      pin: {
        type: 'object',
        description: 'preferences.d/<name>: label pins by the Release Label (release l=...), origin by its Origin (release o=...). Omitted: the pin file is not managed.',
        properties: { label: ONE_LINE, origin: ONE_LINE, priority: { type: 'integer' }, packages: { ...ONE_LINE, description: 'Package: line, default *.' } },
        required: ['priority'],
        allOf: [{ oneOf: [{ required: ['label'] }, { required: ['origin'] }], message: 'pin needs label or origin (one of them)' }],
        additionalProperties: false,
      },
      arch: { anyOf: [ARCHITECTURE, { type: 'array', items: ARCHITECTURE }], description: 'Architectures of the entry (arch= / Architectures:).' },
      state: { enum: ['present', 'absent'], description: 'absent removes the entry, the pin, the URI\'s other definitions (with uri) and the keyring when no remaining entry names it.' },
      update_cache: { type: 'boolean', description: 'Run apt-get update after a change (default true); its failure fails the task with apt\'s stderr.' },
    },
    required: ['name'],
    allOf: RULES,
    additionalProperties: false,
  },
  async plan(ctx, args) {
    const plan = await ((args.state ?? 'present') === 'present' ? planPresent(ctx, args) : planAbsent(ctx, args));
    if (plan.changes.length && args.update_cache !== false) ctx.planned?.set(PLANNED_REPO, ctx.host, args.name);
    return plan;
  },
  async apply(ctx, args, plan) {
    return { data: await applyRepo(ctx, args, plan.state!) };
  },
};
