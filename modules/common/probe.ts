import { createHash } from 'node:crypto';
import { raw, shellCommand } from '../../interpreter/connection/quote.js';
import type { Connection } from '../../interpreter/connection/types.js';
import { ModuleFailure } from '../types.js';

/** The kind of a filesystem object, named as Ansible's file module names states. */
export type PathKind = 'file' | 'directory' | 'link' | 'fifo' | 'socket' | 'char' | 'block';

/** What one remote `stat` told about an existing path. */
export interface PathInfo {
  path: string;
  kind: PathKind;
  /** Permission bits only (0o7777). */
  mode: number;
  size: number;
  uid: number;
  gid: number;
  owner: string;
  group: string;
  /** Seconds; whole seconds when {@link sftp}. */
  atime: number;
  mtime: number;
  /** These come from the probe command only; a probe answered over SFTP ({@link sftp}) leaves them out. */
  inode?: number;
  nlink?: number;
  dev?: number;
  ctime?: number;
  blocks?: number;
  blockSize?: number;
  /** st_rdev as Python encodes it (device_type of character/block devices). */
  rdev?: number;
  readable?: boolean;
  writeable?: boolean;
  executable?: boolean;
  /** Answered by SFTP stat (and read, for the checksum) instead of the probe command: see ProbeOptions.basic. */
  sftp?: boolean;
  /** Hex digest of the content (regular files, when asked). */
  checksum?: string;
  /** `file --mime-type --mime-encoding` output, when asked: `text/plain; charset=us-ascii`. */
  mime?: { type: string; charset: string };
  /** `lsattr -vd` output, when asked and supported: version and flag letters without dashes. */
  attributes?: { version: string; flags: string };
  /** `readlink` of a symlink. */
  linkTarget?: string;
  /** The fully resolved path of a symlink (`readlink -f`). */
  linkSource?: string;
}

export interface ProbeOptions {
  /** Follow a symlink and describe its target (`stat -L`). */
  follow?: boolean;
  /** Compute a digest of a regular file with this algorithm (sha1, sha256, md5, ...). */
  checksum?: string | false;
  /** Ask `file(1)` for the MIME type and charset (stat's get_mime). */
  mime?: boolean;
  /** Ask `lsattr -vd` for the version and attribute flags (stat's get_attributes). */
  attributes?: boolean;
  /**
   * The caller needs only the kind, mode, size, ids, owner and group names, times and checksum: the probe may be
   * answered over SFTP (stat, and a read for the checksum of a file up to 1 MiB) without starting any process on
   * the host, a fraction of a command's cost. `'except-files'`: a regular file goes to the probe command (its link
   * count matters to the caller). Devices, sudo, unknown ids and anything SFTP cannot answer go to the probe
   * command too.
   */
  basic?: boolean | 'except-files';
}

/** Files up to this size are read over SFTP for their checksum; larger ones are hashed on the host. */
const SFTP_CHECKSUM_LIMIT = 1024 * 1024;

const KINDS: Record<number, PathKind> = {
  0o100000: 'file',
  0o040000: 'directory',
  0o120000: 'link',
  0o010000: 'fifo',
  0o140000: 'socket',
  0o020000: 'char',
  0o060000: 'block',
};

const CHECKSUMS = new Set(['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512']);

/**
 * The one shell command that describes a path: existence, stat fields, access flags, checksum and link target.
 * One round trip per no-op task is the point: planning a file module costs one command.
 */
function checkAlgorithm(algo: string | false | undefined): void {
  if (algo && !CHECKSUMS.has(algo)) throw new ModuleFailure(`unsupported checksum algorithm: ${algo}`);
}

export function probeCommand(path: string, options: ProbeOptions = {}): string {
  const algo = options.checksum;
  checkAlgorithm(algo);
  const stat = options.follow ? 'stat -L' : 'stat';
  const digest = algo
    ? shellCommand(raw('if test -f'), path, raw(`; then ${algo}sum <`), path, raw('|| echo -; else echo -; fi'))
    : raw('echo -').text;
  return [
    shellCommand(raw('if ! test -e'), path, raw('&& ! test -L'), path, raw('; then echo absent; exit 0; fi')),
    shellCommand(raw(stat), '-c', '%f %s %u %g %i %h %d %.9X %.9Y %.9Z %b %B %t %T %U %G', '--', path, raw('|| exit 3')),
    shellCommand(raw('{ test -r'), path, raw('&& printf r; test -w'), path, raw('&& printf w; test -x'), path, raw('&& printf x; echo .; }')),
    digest,
    options.mime ? shellCommand(raw('file -b --mime-type --mime-encoding --'), path, raw('2>/dev/null || echo -')) : 'echo -',
    options.attributes ? shellCommand(raw('lsattr -vd --'), path, raw('2>/dev/null || echo -')) : 'echo -',
    // NUL-terminated: a link target may contain newlines.
    shellCommand(raw('if test -L'), path, raw(`; then printf '%s\\0%s\\0' "$(readlink --`), path, raw(')" "$(readlink -f --'), path, raw(')"; fi')),
  ].join('\n');
}

/** Python's os.makedev encoding of a device number. */
function makedev(major: number, minor: number): number {
  return (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12) | ((major & ~0xfff) * 2 ** 32);
}

/** Parses the output of {@link probeCommand}; null when the path does not exist. */
export function parseProbe(path: string, stdout: string): PathInfo | null {
  const lines = stdout.split('\n');
  if (lines[0] === 'absent') return null;
  const fields = lines[0].split(' ');
  const rawMode = parseInt(fields[0], 16);
  const access = lines[1] ?? '';
  const digest = (lines[2] ?? '-').split(' ')[0];
  const info: PathInfo = {
    path,
    kind: KINDS[rawMode & 0o170000] ?? 'file',
    mode: rawMode & 0o7777,
    size: Number(fields[1]),
    uid: Number(fields[2]),
    gid: Number(fields[3]),
    inode: Number(fields[4]),
    nlink: Number(fields[5]),
    dev: Number(fields[6]),
    atime: Number(fields[7]),
    mtime: Number(fields[8]),
    ctime: Number(fields[9]),
    blocks: Number(fields[10]),
    blockSize: Number(fields[11]),
    rdev: makedev(parseInt(fields[12], 16), parseInt(fields[13], 16)),
    owner: fields[14],
    group: fields.slice(15).join(' '),
    readable: access.includes('r'),
    writeable: access.includes('w'),
    executable: access.includes('x'),
  };
  if (digest && digest !== '-') info.checksum = digest;
  const mime = /^([^;]+);\s*charset=(.*)$/.exec(lines[3] ?? '');
  if (mime) info.mime = { type: mime[1].trim(), charset: mime[2].trim() };
  const attrs = /^(\S+)\s+(\S+)\s/.exec(lines[4] ?? '');
  if (attrs) info.attributes = { version: attrs[1], flags: attrs[2].replace(/-/g, '') };
  const link = lines.slice(5).join('\n').split('\0');
  if (link.length >= 3) {
    info.linkTarget = link[0];
    info.linkSource = link[1];
  }
  return info;
}

/** The answer of {@link ProbeOptions.basic} over SFTP; undefined when the probe command must answer instead. */
async function probeOverSftp(conn: Connection, path: string, options: ProbeOptions): Promise<PathInfo | null | undefined> {
  if (!options.basic || !conn.statPath || !conn.idNames || options.mime || options.attributes) return undefined;
  const namesRead = conn.idNames(); // in parallel with the stat (read once per run)
  namesRead.catch(() => undefined);
  const stat = await conn.statPath(path, { follow: options.follow });
  if (stat === null || stat === undefined) return stat;
  const kind = KINDS[stat.mode & 0o170000];
  if (kind !== 'directory' && kind !== 'link' && !(kind === 'file' && options.basic === true)) return undefined;
  const names = await namesRead;
  const owner = names?.users[stat.uid];
  const group = names?.groups[stat.gid];
  if (owner === undefined || group === undefined) return undefined;
  const info: PathInfo = {
    path, kind, mode: stat.mode & 0o7777, size: stat.size, uid: stat.uid, gid: stat.gid, owner, group,
    atime: stat.atime, mtime: stat.mtime, sftp: true,
    ...(stat.linkTarget !== undefined ? { linkTarget: stat.linkTarget, linkSource: stat.linkSource } : {}),
  };
  if (options.checksum && kind === 'file') {
    checkAlgorithm(options.checksum);
    if (stat.size > SFTP_CHECKSUM_LIMIT) return undefined;
    const content = await conn.get(path).catch(() => null);
    if (!content || content.length !== stat.size) return undefined;
    info.checksum = createHash(options.checksum).update(content).digest('hex');
  }
  return info;
}

/**
 * Describes a remote path in one command (or over SFTP, see {@link ProbeOptions.basic}); null when it does not
 * exist. Throws ModuleFailure when stat fails.
 */
export async function probePath(conn: Connection, path: string, options: ProbeOptions = {}): Promise<PathInfo | null> {
  const quick = await probeOverSftp(conn, path, options);
  if (quick !== undefined) return quick;
  const result = await conn.run(probeCommand(path, options));
  if (result.rc !== 0) {
    throw new ModuleFailure(`cannot stat ${path}: ${result.stderr.trim() || `exit code ${result.rc}`}`);
  }
  return parseProbe(path, result.stdout);
}

/** Ends each probe's output in a combined command; NUL cannot occur in a path, so no output can look like it. */
const PROBE_END = 'phoenix-probe-end';

/**
 * Several {@link probePath}s in ONE command (one round trip), e.g. a link and its source. Each entry is the PathInfo,
 * null when absent, or the ModuleFailure the lone probe would have thrown.
 */
export async function probePaths(conn: Connection, requests: Array<{ path: string; options?: ProbeOptions }>):
  Promise<Array<PathInfo | null | ModuleFailure>> {
  if (conn.statPath && requests.every((r) => r.options?.basic)) {
    // Over SFTP the requests go side by side (each falls back to its own command when SFTP cannot answer it).
    return Promise.all(requests.map((r) => probePath(conn, r.path, r.options)
      .catch((e: unknown) => (e instanceof ModuleFailure ? e : Promise.reject(e)))));
  }
  const script = requests.map((r) => `(\n${probeCommand(r.path, r.options)}\n)\nprintf '\\0${PROBE_END} %s\\0' $?`).join('\n');
  const result = await conn.run(script);
  const parts = result.stdout.split(new RegExp(`\\0${PROBE_END} (\\d+)\\0`));
  return requests.map((r, i) => {
    const rc = parts[2 * i + 1];
    if (rc === undefined || rc !== '0') {
      const why = result.stderr.trim() || `exit code ${rc ?? result.rc}`;
      return new ModuleFailure(`cannot stat ${r.path}: ${why}`);
    }
    return parseProbe(r.path, parts[2 * i]);
  });
}

/**
 * A text file's content and its {@link probePath} (following links) in one command (or over SFTP), for modules
 * that edit a file and also manage its attributes. `text` is null when the path does not exist.
 */
export async function probeAndRead(conn: Connection, path: string): Promise<{ info: PathInfo | null; text: string | null }> {
  if (conn.statPath) {
    // Over SFTP: stat and read side by side, no process on the host. Anything but a plain answer (a directory, an
    // unreadable file) goes to the command below, which says exactly what it is.
    const [info, data] = await Promise.all([
      probePath(conn, path, { follow: true, basic: true }), conn.get(path).catch(() => undefined),
    ]);
    if ((info === null && data === null) || (info?.kind === 'file' && data)) {
      return { info, text: data ? data.toString('utf8') : null };
    }
  }
  const read = shellCommand(raw('if test -f'), path, raw('; then cat --'), path, raw('|| exit 4; fi'));
  const script = `(\n${probeCommand(path, { follow: true })}\n)\nprintf '\\0${PROBE_END} %s\\0' $?\n${read}`;
  const result = await conn.run(script);
  const [probed, rc, text] = result.stdout.split(new RegExp(`\\0${PROBE_END} (\\d+)\\0`));
  if (rc !== '0') throw new ModuleFailure(`cannot stat ${path}: ${result.stderr.trim() || `exit code ${rc ?? result.rc}`}`);
  if (result.rc !== 0) throw new ModuleFailure(`cannot read ${path}: ${result.stderr.trim() || `exit code ${result.rc}`}`);
  const info = parseProbe(path, probed);
  return { info, text: info ? text ?? '' : null };
}
