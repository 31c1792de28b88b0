import { aliasExclusions, aliasProperties, normalizeAliases, requireAny } from './common/aliases.js';
import { formatMode } from './common/mode.js';
import { probePath, type PathInfo } from './common/probe.js';
import type { Module } from './types.js';

export interface StatArgs {
  path: string;
  follow?: boolean;
  get_checksum?: boolean;
  checksum_algorithm?: string;
  get_mime?: boolean;
  get_attributes?: boolean;
}

/** Ansible's names of chattr(1) flags (module_utils FILE_ATTRIBUTES). */
const ATTRIBUTE_NAMES: Record<string, string> = {
  A: 'noatime', a: 'append', c: 'compressed', C: 'nocow', d: 'nodump', D: 'dirsync', e: 'extents', E: 'encrypted',
  h: 'blocksize', i: 'immutable', I: 'indexed', j: 'journalled', N: 'inline', s: 'zero', S: 'synchronous',
  t: 'notail', T: 'blockroot', u: 'undelete', X: 'compressedraw', Z: 'compresseddirty',
};

/** Ansible's `stat` dictionary for an existing path. */
export function statOutput(info: PathInfo, args: StatArgs): Record<string, unknown> {
  const m = info.mode;
  const out: Record<string, unknown> = {
    exists: true,
    path: args.path,
    mode: formatMode(m),
    isdir: info.kind === 'directory',
    ischr: info.kind === 'char',
    isblk: info.kind === 'block',
    isreg: info.kind === 'file',
    isfifo: info.kind === 'fifo',
    islnk: info.kind === 'link',
    issock: info.kind === 'socket',
    uid: info.uid,
    gid: info.gid,
    size: info.size,
    inode: info.inode,
    dev: info.dev,
    nlink: info.nlink,
    atime: info.atime,
    mtime: info.mtime,
    ctime: info.ctime,
    wusr: !!(m & 0o200), rusr: !!(m & 0o400), xusr: !!(m & 0o100),
    wgrp: !!(m & 0o020), rgrp: !!(m & 0o040), xgrp: !!(m & 0o010),
    woth: !!(m & 0o002), roth: !!(m & 0o004), xoth: !!(m & 0o001),
    isuid: !!(m & 0o4000),
    isgid: !!(m & 0o2000),
    blocks: info.blocks,
    block_size: info.blockSize,
    device_type: info.rdev,
    readable: info.readable,
    writeable: info.writeable,
    executable: info.executable,
  };
  if (info.kind === 'link') Object.assign(out, { lnk_source: info.linkSource, lnk_target: info.linkTarget });
  if (info.owner !== 'UNKNOWN') out.pw_name = info.owner;
  if (info.group !== 'UNKNOWN') out.gr_name = info.group;
  if (info.kind === 'file' && info.readable && args.get_checksum !== false && info.checksum) out.checksum = info.checksum;
  if (args.get_mime !== false) {
    out.mimetype = info.mime?.type ?? 'unknown';
    out.charset = info.mime?.charset ?? 'unknown';
  }
  if (args.get_attributes !== false) {
    const flags = info.attributes?.flags ?? '';
    const names = [...flags].map((f) => ATTRIBUTE_NAMES[f]).filter(Boolean);
    Object.assign(out, { version: info.attributes?.version ?? null, attributes: names, attr_flags: flags });
  }
  return out;
}

const ALIASES = {
  path: ['dest', 'name'],
  checksum_algorithm: ['checksum', 'checksum_algo'],
  get_mime: ['mime', 'mime_type', 'mime-type'],
  get_attributes: ['attr', 'attributes'],
};

/** Ansible's `stat`: registers `stat` (exists, mode '0644', isdir, checksum...). Read-only, never changed. */
export const stat: Module<StatArgs> = {
  name: 'stat',
  schema: {
    type: 'object',
    properties: aliasProperties({
      path: { type: 'string' },
      follow: { type: 'boolean' },
      get_checksum: { type: 'boolean' },
      checksum_algorithm: { enum: ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'] },
      get_mime: { type: 'boolean' },
      get_attributes: { type: 'boolean' },
    }, ALIASES),
    ...requireAny('path', ALIASES),
    allOf: aliasExclusions(ALIASES),
    additionalProperties: false,
  },
  async plan(ctx, rawArgs) {
    const args = normalizeAliases<StatArgs>(rawArgs as unknown as Record<string, unknown>, ALIASES);
    const info = await probePath(ctx.conn, args.path, {
      follow: args.follow === true,
      checksum: args.get_checksum === false ? false : (args.checksum_algorithm ?? 'sha1'),
      mime: args.get_mime !== false,
      attributes: args.get_attributes !== false,
    });
    const stat = info ? statOutput(info, args) : { exists: false };
    const reason = info ? `${args.path} is a ${info.kind}` : `${args.path} does not exist`;
    return { changes: [], reason, data: { stat } };
  },
  async apply() {
    return {};
  },
};
