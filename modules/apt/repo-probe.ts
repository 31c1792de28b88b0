import { raw, shellCommand } from '../../interpreter/connection/quote.js';
import type { Connection } from '../../interpreter/connection/types.js';
import { posix } from 'node:path';
import { missingDirsScript, parseMissingDirs } from '../common/parents.js';
import { ModuleFailure } from '../types.js';
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
 * One shell script that prints every sources file (base64, one line each), the keyring's sha256, the pin file and,
 * with a key_url, the key as the target downloads it. Names apt would ignore (not [A-Za-z0-9_.-]) are skipped as apt does.
 */
export function repoProbeCommand(req: ProbeRequest): string {
  const lines = [
    shellCommand(raw('for f in'), SOURCES_LIST, raw(`${SOURCES_DIR}/*.list ${SOURCES_DIR}/*.sources; do`)),
    `  case "\${f##*/}" in *[!A-Za-z0-9_.-]*) continue ;; esac`,
    `  [ -f "$f" ] || continue; printf 'file %s ' "$f"; base64 -w0 < "$f" || exit 3; echo`,
    'done',
    shellCommand(raw('if [ -f'), req.keyring, raw(']; then printf "keyring %s\\n" "$(sha256sum <'), req.keyring, raw('| cut -d" " -f1)"; else echo "keyring -"; fi')),
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
  const facts: RepoFacts = { files: [], keyringSha256: null, pin: null, missingDirs: {} };
  dirsOf(req).forEach((dir, i) => { facts.missingDirs[dir] = parseMissingDirs(stdout, `d${i}`, dir); });
  for (const line of stdout.split('\n')) {
    const [kind, ...rest] = line.split(' ');
    if (kind === 'file' && rest.length >= 1) {
      facts.files.push({ path: rest[0], text: Buffer.from(rest[1] ?? '', 'base64').toString('utf8') });
    } else if (kind === 'keyring') facts.keyringSha256 = rest[0] === '-' ? null : rest[0];
    else if (kind === 'pin') facts.pin = rest[0] === '-' ? null : Buffer.from(rest[0] ?? '', 'base64').toString('utf8');
    else if (kind === 'key') facts.key = parseKey(rest, req.keyUrl!);
  }
  if (req.keyUrl && !facts.key) throw new ModuleFailure(`downloading ${req.keyUrl} on the target gave no result`);
  return facts;
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
