import { ModuleFailure } from '../types.js';
import type { CacheEntry } from './cache.js';
import { runfileName, type RunMode } from './flags.js';

/** Arguments of `nvidia_run` (brief section 6). */
export interface NvidiaRunArgs {
  mode: RunMode;
  version: string;
  url?: string;
  /** Hex digest, or `auto` for NVIDIA's published `<url>.sha256sum`. */
  sha256?: string;
  cache_dir?: string;
  flags?: string[];
  extra_flags?: string[];
  /** Executable temp dir for the makeself stub and the installer (`--tmpdir`). */
  tmpdir?: string;
  /** Seconds the installer (and the download) may take. */
  timeout?: number;
  /** Host mode: install kernel headers, dkms and build-essential with apt (default true). */
  install_build_deps?: boolean;
}

export const DEFAULT_CACHE_DIR = '/usr/local/phoenix_hypervisor/cache';
export const DEFAULT_TIMEOUT_S = 1800;

/** The cache entry these arguments name: the file is the URL's last segment, else NVIDIA's name for the version. */
export function cacheEntry(args: NvidiaRunArgs): CacheEntry {
  const file = args.url ? runfileName(args.url) : `NVIDIA-Linux-x86_64-${args.version}.run`;
  if (file.includes('/') || file.startsWith('.')) throw new ModuleFailure(`url ${args.url} does not end in a file name`);
  if (!file.includes(args.version)) {
    throw new ModuleFailure(`url ${args.url} names ${file}, which is not driver ${args.version}`);
  }
  return {
    dir: args.cache_dir ?? DEFAULT_CACHE_DIR,
    file,
    ...(args.url ? { url: args.url } : {}),
    ...(args.sha256 ? { sha256: args.sha256.toLowerCase() } : {}),
  };
}

export function timeoutMs(args: NvidiaRunArgs): number {
  return (args.timeout ?? DEFAULT_TIMEOUT_S) * 1000;
}
