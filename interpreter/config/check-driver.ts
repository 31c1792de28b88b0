import type { ErrorList } from '../errors.js';
import { configError, stringAt } from './config-error.js';
import { jsonPath, type JsonPathSegments } from './json-path.js';
import type { JsonSource } from './json-source.js';
import { valueAt } from './schema.js';

/** `580.76.05`, `550.120`: NVIDIA's driver versions (three-digit branch, then one or two numbers). */
export const DRIVER_VERSION = /^\d{3,}\.\d+(\.\d+)?$/;
const CUDA_VERSION = /^\d+\.\d+$/;
const SHA256 = /^[0-9a-fA-F]{64}$/;
/** `NVIDIA-Linux-x86_64-580.76.05.run` (also `-no-compat32` style suffixes and aarch64). */
const RUNFILE_NAME = /^NVIDIA-Linux-(?:x86_64|aarch64)-(\d+\.\d+(?:\.\d+)?)(?:-[\w.-]+)?\.run$/;
const URL_SCHEMES = new Set(['https:', 'http:', 'ftp:', 'file:']);

const DRIVER = ['nvidia_driver'];

/** Checks the `nvidia_driver` block's formats and that its URL carries its version. */
export function checkDriver(h: JsonSource, errors: ErrorList): void {
  const version = checkDriverFormats(h, DRIVER, errors);
  const url = stringAt(h, [...DRIVER, 'runfile_url']);
  if (url !== undefined) checkRunfileUrl(h, { url, urlPath: [...DRIVER, 'runfile_url'], version, versionPath: [...DRIVER, 'version'] }, errors);
  const cache = stringAt(h, ['core_paths', 'cache_dir']);
  if (cache !== undefined && !cache.startsWith('/')) {
    errors.add(configError('E_CONFIG_PATH', h, ['core_paths', 'cache_dir'], `cache_dir '${cache}' must be an absolute path on the node`));
  }
}

/**
 * Checks the formats of the driver fields present in the block at `block` (`nvidia_driver`, or a node's override
 * `nodes.<node>.nvidia_driver`); returns the block's version when it is one.
 */
export function checkDriverFormats(h: JsonSource, block: JsonPathSegments, errors: ErrorList): string | undefined {
  const version = stringAt(h, [...block, 'version']);
  const versionOk = version !== undefined && DRIVER_VERSION.test(version);
  if (version !== undefined && !versionOk) {
    errors.add(configError('E_CONFIG_DRIVER_VERSION', h, [...block, 'version'], `driver version '${version}' is not an NVIDIA driver version`, {
      hint: 'write the full version, e.g. "580.76.05"',
    }));
  }
  const sha = valueAt(h.value, [...block, 'runfile_sha256']);
  if (typeof sha === 'string' && !SHA256.test(sha)) {
    errors.add(configError('E_CONFIG_SHA256', h, [...block, 'runfile_sha256'], `runfile_sha256 must be 64 hexadecimal characters or null (got ${sha.length} characters)`, {
      hint: 'sha256sum NVIDIA-Linux-x86_64-<version>.run prints it',
    }));
  }
  const cuda = stringAt(h, [...block, 'cuda_version']);
  if (cuda !== undefined && !CUDA_VERSION.test(cuda)) {
    errors.add(configError('E_CONFIG_CUDA_VERSION', h, [...block, 'cuda_version'], `cuda_version '${cuda}' must be MAJOR.MINOR, e.g. "12.8"`));
  }
  return versionOk ? version : undefined;
}

/** A runfile URL to check against a driver version, with where each is written. */
export interface RunfileUrlCheck {
  url: string;
  urlPath: JsonPathSegments;
  /** The valid version the URL must name (undefined: only the URL's own form is checked). */
  version?: string;
  versionPath: JsonPathSegments;
  /** Where the error goes when the URL is inherited and the version is not (a node's own version). */
  reportAt?: JsonPathSegments;
}

/** The `.run` file name must be NVIDIA's, and both it and its version directory must carry `version`. */
export function checkRunfileUrl(h: JsonSource, check: RunfileUrlCheck, errors: ErrorList): void {
  const { url, urlPath: path, version } = check;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !URL_SCHEMES.has(parsed.protocol)) {
    errors.add(configError('E_CONFIG_URL', h, path, `runfile_url '${url}' is not an http(s), ftp or file URL`));
    return;
  }
  const segments = parsed.pathname.split('/');
  const name = decodeURIComponent(segments.at(-1) ?? '');
  const match = RUNFILE_NAME.exec(name);
  if (!match) {
    errors.add(configError('E_CONFIG_URL', h, path, `runfile_url must end in NVIDIA-Linux-x86_64-<version>.run, not '${name}'`, {
      hint: 'the version is read from the file name to check it against nvidia_driver.version',
    }));
    return;
  }
  if (!version) return;
  const dir = decodeURIComponent(segments.at(-2) ?? '');
  const wrong = [[match[1], 'file name'], [dir, 'directory']].filter(([found, where]) => found !== version && (where === 'file name' || DRIVER_VERSION.test(found)));
  if (!wrong.length) return;
  const names = wrong.map(([found, where]) => `${found} (${where})`).join(' and ');
  if (check.reportAt) {
    const urlPos = h.valuePos(path);
    errors.add(configError('E_CONFIG_URL_VERSION', h, check.reportAt,
      `${jsonPath(check.versionPath)} is ${version} but the runfile_url it inherits, ${jsonPath(path)} (line ${urlPos.line}), names version ${names}`, {
        hint: `give ${jsonPath(check.reportAt.slice(0, -1))} its own runfile_url for ${version}`,
      }));
    return;
  }
  errors.add(configError('E_CONFIG_URL_VERSION', h, path,
    `runfile_url names version ${names} but ${jsonPath(check.versionPath)} is ${version}`, {
      hint: 'the URL and the version must name the same driver: change one of them',
    }));
}

const COPIES = [
  ['nvidia_driver_version', 'version'],
  ['nvidia_runfile_url', 'runfile_url'],
] as const;

/**
 * The lxc file's optional copies of the driver version and URL must equal the hypervisor file's: container user
 * space must be the host kernel module's version. The error names both files, both values and both paths.
 */
export function checkDriverCopies(h: JsonSource, l: JsonSource, errors: ErrorList): void {
  for (const [copyKey, key] of COPIES) {
    const copy = stringAt(l, [copyKey]);
    const truth = stringAt(h, [...DRIVER, key]);
    if (copy === undefined || truth === undefined || copy === truth) continue;
    const hPos = h.valuePos([...DRIVER, key]);
    errors.add(configError('E_CONFIG_MISMATCH', l, [copyKey],
      `${jsonPath([copyKey])} is '${copy}' but ${h.file} ${jsonPath([...DRIVER, key])} is '${truth}' (${h.file}:${hPos.line}:${hPos.column})`, {
        hint: `the hypervisor file is the source of truth: set ${copyKey} to '${truth}' or remove it`,
      }));
  }
}
