/**
 * SSH file transfer: the ssh2 SFTP session shape, reading a whole file in few round trips, lstat/stat with a link's
 * target, /etc/passwd-style id tables, and the helpers of an atomic upload (sibling temp name, owner spec).
 */
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { FileStat, PutOptions } from './types.js';

// Minimal shape of the ssh2 SFTP session used here (@types/ssh2 is not installed).
export interface Sftp {
  writeFile(path: string, data: Buffer | string, options: { mode: number }, cb: (err?: Error) => void): void;
  open(path: string, flags: string, cb: (err: Error | undefined, handle: Buffer) => void): void;
  fstat(handle: Buffer, cb: (err: Error | undefined, attrs: SftpAttrs) => void): void;
  read(handle: Buffer, buffer: Buffer, offset: number, length: number, position: number,
    cb: (err: Error | undefined, bytesRead: number) => void): void;
  close(handle: Buffer, cb: (err?: Error) => void): void;
  chmod(path: string, mode: number, cb: (err?: Error) => void): void;
  stat(path: string, cb: (err: Error | undefined, attrs: SftpAttrs) => void): void;
  readlink(path: string, cb: (err: Error | undefined, target: string) => void): void;
  realpath(path: string, cb: (err: Error | undefined, resolved: string) => void): void;
  lstat(path: string, cb: (err: Error | undefined, attrs: SftpAttrs) => void): void;
  ext_openssh_rename(from: string, to: string, cb: (err?: Error) => void): void;
  unlink(path: string, cb: (err?: Error) => void): void;
  end(): void;
}
export type SftpAttrs = Omit<FileStat, 'linkTarget' | 'linkSource'>;

const READ_CHUNK = 64 * 1024;

/**
 * Reads a whole file in two round trips for a small one: open, then its size and the first chunk side by side
 * (ssh2's readFile waits for each of open, fstat, read and close). The close is not waited for.
 */
export async function readOverSftp(sftp: Sftp, path: string): Promise<Buffer> {
  const handle = await new Promise<Buffer>((resolve, reject) => sftp.open(path, 'r', (err, h) => (err ? reject(err) : resolve(h))));
  const chunks: Buffer[] = [];
  let position = 0;
  const readChunk = (): Promise<number> => new Promise((resolve, reject) => {
    const buffer = Buffer.allocUnsafe(READ_CHUNK);
    sftp.read(handle, buffer, 0, READ_CHUNK, position, (err, bytesRead) => {
      if (err) return (err as { code?: unknown }).code === 1 ? resolve(0) : reject(err); // SSH_FX_EOF
      chunks.push(buffer.subarray(0, bytesRead));
      position += bytesRead;
      resolve(bytesRead);
    });
  });
  try {
    const [attrs, first] = await Promise.all([
      new Promise<SftpAttrs>((resolve, reject) => sftp.fstat(handle, (err, a) => (err ? reject(err) : resolve(a)))),
      readChunk(),
    ]);
    if (!(first > 0 && position === attrs.size)) while ((await readChunk()) > 0);
    return Buffer.concat(chunks);
  } finally {
    sftp.close(handle, () => undefined);
  }
}

/** `name:x:id:...` lines (passwd, group) to id → name; the first name of an id wins, as getpwuid's does. */
export function idTable(text: Buffer): Record<string, string> {
  const table: Record<string, string> = {};
  for (const line of text.toString('utf8').split('\n')) {
    const [name, , id] = line.split(':');
    if (name && id && /^\d+$/.test(id) && !(id in table)) table[id] = name;
  }
  return table;
}

/**
 * lstat (or stat with `follow`) over SFTP: one round trip, no process on the host (a symlink: one more for its
 * target and resolved path). undefined: SFTP cannot tell, a command must.
 */
export async function statOverSftp(sftp: Sftp, path: string, options: { follow?: boolean }): Promise<FileStat | null | undefined> {
  const statOf = (follow: boolean): Promise<SftpAttrs | null | undefined> => new Promise((resolve) => {
    const done = (err: Error | undefined, a: SftpAttrs): void => {
      // SSH_FX_NO_SUCH_FILE for lstat is "absent"; stat of a dangling link also says so: let a command tell.
      if (err) resolve((err as { code?: unknown }).code === 2 && !follow ? null : undefined);
      else resolve(a);
    };
    if (follow) sftp.stat(path, done);
    else sftp.lstat(path, done);
  });
  // With follow, the link itself is asked about too (side by side): the probe command reports a link's target.
  const [own, followed] = await Promise.all([statOf(false), options.follow ? statOf(true) : undefined]);
  const attrs = options.follow ? (own === null ? null : followed) : own;
  if (!attrs || !own) return attrs;
  const stat: FileStat = { mode: attrs.mode, uid: attrs.uid, gid: attrs.gid, size: attrs.size, atime: attrs.atime, mtime: attrs.mtime };
  if ((own.mode & 0o170000) !== 0o120000) return stat;
  const [linkTarget, linkSource] = await Promise.all([
    new Promise<string | undefined>((resolve) => sftp.readlink(path, (err, t) => resolve(err ? undefined : t))),
    new Promise<string | undefined>((resolve) => sftp.realpath(path, (err, r) => resolve(err ? undefined : r))),
  ]);
  return linkTarget === undefined || linkSource === undefined ? undefined : { ...stat, linkTarget, linkSource };
}

export function ownerSpec(options: PutOptions): string {
  return `${options.owner ?? ''}${options.group ? `:${options.group}` : ''}`;
}

/** A temp name in the destination's directory, so the final rename is atomic. */
export function siblingTemp(path: string): string {
  return join(dirname(path), `.${basename(path)}.phoenix-${randomBytes(6).toString('hex')}`);
}

export function sftpCall(call: (cb: (err?: Error) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => call((err) => (err ? reject(err) : resolve())));
}
