import { raw, shellCommand } from '../../interpreter/connection/quote.js';
import type { Connection } from '../../interpreter/connection/types.js';
import { posix } from 'node:path';
import { missingDirsScript, parseMissingDirs } from '../common/parents.js';
import { readWhileUnchanged } from '../common/shared.js';
import { ModuleFailure, type ModuleContext } from '../types.js';
import type { SourceFile } from './sources.js';

/** Where apt reads its sources (apt's defaults: Dir::Etc::sourcelist and Dir::Etc::sourceparts). */
export const SOURCES_LIST = '/etc/apt/sources.list';
export const SOURCES_DIR = '/etc/apt/sources.list.d';

/** What apt_repo needs to know about a host, read by one command. */
export interface RepoFacts {
  /** Every file apt reads sources from, in apt's order (sources.list first, then the parts sorted). */
  files: SourceFile[];
  /** sha256 of the keyring file, or null when absent. */
  keyringSha256: string | null;
  /** Pin file content, or null when absent (not asked: null). */
  pin: string | null;
  /** The key downloaded on the target, when a key_url was given. */
  key?: Buffer;
  /** For each directory a written file would go to: itself and its missing parents, outermost first. */
  missingDirs: Record<string, string[]>;
}

export interface ProbeRequest {
  keyring: string;
  pinPath?: string;
  keyUrl?: string;
}

/** Downloads into "$t" with whichever of curl, wget or python3 the target has and prints one `key ...` line. */
function fetchScript(url: string): string {
  const py = 'import sys,urllib.request;sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1],timeout=60).read())';
  return [
    `t=$(mktemp) || exit 1; trap 'rm -f "$t" "$t.err"' EXIT`,
    shellCommand(raw('if command -v curl >/dev/null 2>&1; then curl -fsSL --max-time 60'), url, raw('>"$t" 2>"$t.err"; rc=$?')),
    shellCommand(raw('elif command -v wget >/dev/null 2>&1; then wget -q -T 60 -O -'), url, raw('>"$t" 2>"$t.err"; rc=$?')),
    shellCommand(raw('elif command -v python3 >/dev/null 2>&1; then python3 -c'), py, url, raw('>"$t" 2>"$t.err"; rc=$?')),
    'else rc=notool; fi',
    `case $rc in 0) printf 'key ok '; base64 -w0 <"$t"; echo ;; notool) echo 'key notool' ;;`,
    `  *) printf 'key fail %s ' "$rc"; base64 -w0 <"$t.err"; echo ;; esac`,
  ].join('\n');
}

/** The directories apt_repo may write into: sources.list.d, the keyring's, the pin's. */
function dirsOf(req: ProbeRequest): string[] {
  const dirs = [SOURCES_DIR, posix.dirname(req.keyring), ...(req.pinPath ? [posix.dirname(req.pinPath)] : [])];
  return [...new Set(dirs)];
}

/**
 * Prints every sources file apt reads (`list` first, then `dir`'s parts): `file <path>`, each line as `|<line>`, then
 * `end` (`end noeol` when the last line has no newline). Shell builtins only (a `base64` per file was one process
 * each, 5 per container read); exact for text, which sources files are.
 */
export function sourcesLoop(list: string, dir: string): string[] {
  return [
    shellCommand(raw('for f in'), list, raw(`${dir}/*.list ${dir}/*.sources; do`)),
    `  case "\${f##*/}" in *[!A-Za-z0-9_.-]*) continue ;; esac`,
    `  [ -f "$f" ] || continue; printf 'file %s\\n' "$f"; e=`,
    `  while IFS= read -r l || { [ -n "$l" ] && e=' noeol'; }; do printf '|%s\\n' "$l"; done <"$f" || exit 3`,
    '  echo "end$e"',
    'done',
  ];
}

const SOURCES_LOOP = sourcesLoop(SOURCES_LIST, SOURCES_DIR);

/**
 * One shell script that prints every sources file ({@link sourcesLoop}), the keyring's sha256, the pin file and,
 * with a key_url, the key as the target downloads it. Names apt would ignore (not [A-Za-z0-9_.-]) are skipped as apt does.
 */
export function repoProbeCommand(req: ProbeRequest): string {
  const lines = [
    ...SOURCES_LOOP,
    // `keyring <sha256>  -`: sha256sum's own line, no cut (one process fewer; the parser takes the first word).
    shellCommand(raw('if [ -f'), req.keyring, raw(']; then printf "keyring "; sha256sum <'), req.keyring, raw('; else echo "keyring -"; fi')),
  ];
  if (req.pinPath) {
    lines.push(shellCommand(raw('if [ -f'), req.pinPath, raw(']; then printf "pin "; base64 -w0 <'), req.pinPath, raw('; echo; else echo "pin -"; fi')));
  }
  dirsOf(req).forEach((dir, i) => lines.push(missingDirsScript(`d${i}`, dir)));
  if (req.keyUrl) {
    lines.push(fetchScript(req.keyUrl));
  }
  return lines.join('\n');
}

/** Parses the probe's output. A failed download becomes a ModuleFailure with the tool's own message. */
export function parseRepoProbe(stdout: string, req: ProbeRequest): RepoFacts {
  const facts: RepoFacts = { files: parseSourceLines(stdout), keyringSha256: null, pin: null, missingDirs: {} };
  dirsOf(req).forEach((dir, i) => { facts.missingDirs[dir] = parseMissingDirs(stdout, `d${i}`, dir); });
  for (const line of stdout.split('\n')) {
    const [kind, ...rest] = line.split(' ');
    if (kind === 'keyring') facts.keyringSha256 = rest[0] === '-' ? null : rest[0];
    else if (kind === 'pin') facts.pin = rest[0] === '-' ? null : Buffer.from(rest[0] ?? '', 'base64').toString('utf8');
    else if (kind === 'key') facts.key = parseKey(rest, req.keyUrl!);
  }
  if (req.keyUrl && !facts.key) throw new ModuleFailure(`downloading ${req.keyUrl} on the target gave no result`);
  return facts;
}

/** The files of {@link sourcesLoop}'s output. */
export function parseSourceLines(stdout: string): SourceFile[] {
  const files: SourceFile[] = [];
  let current: { path: string; lines: string[] } | undefined;
  for (const line of stdout.split('\n')) {
    if (current && line.startsWith('|')) current.lines.push(line.slice(1));
    else if (current && (line === 'end' || line === 'end noeol')) {
      const text = current.lines.join('\n');
      files.push({ path: current.path, text: line === 'end' && current.lines.length ? `${text}\n` : text });
      current = undefined;
    } else if (line.startsWith('file ')) current = { path: line.slice(5), lines: [] };
  }
  return files;
}

function parseKey(rest: string[], url: string): Buffer {
  if (rest[0] === 'ok') return Buffer.from(rest[1] ?? '', 'base64');
  if (rest[0] === 'notool') throw new ModuleFailure(`cannot download ${url}: the target has none of curl, wget, python3`);
  const err = Buffer.from(rest[2] ?? '', 'base64').toString('utf8').trim();
  throw new ModuleFailure(`downloading ${url} on the target failed (exit ${rest[1]}): ${err || 'no message'}`);
}

/** Downloads `url` on the target (curl, wget or python3); a failed download is a ModuleFailure with the tool's message. */
export async function fetchKey(conn: Connection, url: string): Promise<Buffer> {
  const result = await conn.run(fetchScript(url), { env: { LC_ALL: 'C' } });
  const line = result.stdout.split('\n').find((l) => l.startsWith('key '));
  if (!line) throw new ModuleFailure(`downloading ${url} on the target gave no result${result.stderr.trim() ? `: ${result.stderr.trim()}` : ''}`);
  return parseKey(line.split(' ').slice(1), url);
}

/** Runs the probe; a failing script (unreadable file) is a ModuleFailure. */
export async function probeRepo(conn: Connection, req: ProbeRequest): Promise<RepoFacts> {
  const result = await conn.run(repoProbeCommand(req), { env: { LC_ALL: 'C' } });
  if (result.rc !== 0) throw new ModuleFailure(`reading apt sources failed: ${result.stderr.trim() || `exit ${result.rc}`}`);
  return parseRepoProbe(result.stdout, req);
}

/** The keyring directories the shared probe covers: Debian's for packaged keyrings, apt's for local ones. */
const SHARED_KEYRING_DIRS = ['/usr/share/keyrings', '/etc/apt/keyrings'];
const SHARED_DIRS = [SOURCES_DIR, ...SHARED_KEYRING_DIRS];
const KEYRINGS_MARK = '@@phoenix-keyrings';

/**
 * What every apt_repo task of a host reads alike, in one command: the sources files, the sha256 of each keyring in
 * {@link SHARED_KEYRING_DIRS} (one sha256sum for all; names sha256sum would escape are left out) and the missing
 * parents of those directories. Three repositories per container in site.yml: one read instead of three.
 */
export function sharedRepoProbeCommand(): string {
  return [
    ...SOURCES_LOOP,
    shellCommand(raw('set --; for k in'), raw(SHARED_KEYRING_DIRS.map((d) => `${d}/*`).join(' ')), raw('; do')),
    '  case "${k##*/}" in *[!A-Za-z0-9_.+-]*) continue ;; esac; [ -f "$k" ] && set -- "$@" "$k"',
    'done',
    `echo ${KEYRINGS_MARK}; if [ $# -gt 0 ]; then sha256sum -- "$@" || exit 4; fi; echo ${KEYRINGS_MARK}`,
    ...SHARED_DIRS.map((dir, i) => missingDirsScript(`s${i}`, dir)),
  ].join('\n');
}

/** The shared probe's answer: the sources files and keyrings parsed, the rest kept for each request. */
export interface SharedRepoFacts {
  files: SourceFile[];
  keyrings: Map<string, string>;
  stdout: string;
}

export function parseSharedRepoProbe(stdout: string): SharedRepoFacts {
  const [, listed = ''] = stdout.split(`${KEYRINGS_MARK}\n`);
  const keyrings = new Map<string, string>();
  for (const line of listed.split('\n')) {
    const m = /^([0-9a-f]{64}) [ *](\/.*)$/.exec(line);
    if (m) keyrings.set(m[2]!, m[1]!);
  }
  return { files: parseSourceLines(stdout), keyrings, stdout };
}

/**
 * RepoFacts for `req` from the shared probe, or undefined where it cannot answer: a key to download, a pin, or a
 * keyring outside its directories or with a name it leaves out.
 */
export function repoFactsFromShared(shared: SharedRepoFacts, req: ProbeRequest): RepoFacts | undefined {
  const dir = posix.dirname(req.keyring);
  if (req.keyUrl || req.pinPath || !SHARED_KEYRING_DIRS.includes(dir) || /[^A-Za-z0-9_.+-]/.test(posix.basename(req.keyring))) return undefined;
  const missingDirs: Record<string, string[]> = {};
  for (const d of dirsOf(req)) missingDirs[d] = parseMissingDirs(shared.stdout, `s${SHARED_DIRS.indexOf(d)}`, d);
  return { files: shared.files, keyringSha256: shared.keyrings.get(req.keyring) ?? null, pin: null, missingDirs };
}

/**
 * The facts apt_repo plans from: from the probe this host's apt_repo tasks share until something in the run changes
 * (ModuleContext.whileUnchanged), where it can answer, else from the task's own {@link probeRepo}.
 */
export async function planningRepoFacts(ctx: ModuleContext, req: ProbeRequest): Promise<RepoFacts> {
  if (ctx.whileUnchanged && !req.keyUrl && !req.pinPath) {
    // A shared read that fails (a keyring another task never asks about cannot be read) is not this task's
    // failure: it then asks on its own, and says its own error if it has one.
    const shared = await readWhileUnchanged(ctx, 'apt_repo sources', async () => {
      const result = await ctx.conn.run(sharedRepoProbeCommand(), { env: { LC_ALL: 'C' } });
      if (result.rc !== 0) throw new ModuleFailure(`reading apt sources failed: ${result.stderr.trim() || `exit ${result.rc}`}`);
      return parseSharedRepoProbe(result.stdout);
    }).catch(() => undefined);
    const facts = shared && repoFactsFromShared(shared, req);
    if (facts) return facts;
  }
  return probeRepo(ctx.conn, req);
}
