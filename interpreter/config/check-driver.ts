import type { ErrorList } from '../errors.js';
import { configError, stringAt } from './config-error.js';
import { jsonPath } from './json-path.js';
import type { JsonSource } from './json-source.js';

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
  const version = stringAt(h, [...DRIVER, 'version']);
  const versionOk = version !== undefined && DRIVER_VERSION.test(version);
  if (version !== undefined && !versionOk) {
    errors.add(configError('E_CONFIG_DRIVER_VERSION', h, [...DRIVER, 'version'], `driver version '${version}' is not an NVIDIA driver version`, {
      hint: 'write the full version, e.g. "580.76.05"',
    }));
  }
  const url = stringAt(h, [...DRIVER, 'runfile_url']);
  if (url !== undefined) checkRunfileUrl(h, url, versionOk ? version : undefined, errors);
  const sha = (h.value as { nvidia_driver?: { runfile_sha256?: unknown } }).nvidia_driver?.runfile_sha256;
  if (typeof sha === 'string' && !SHA256.test(sha)) {
    errors.add(configError('E_CONFIG_SHA256', h, [...DRIVER, 'runfile_sha256'], `runfile_sha256 must be 64 hexadecimal characters or null (got ${sha.length} characters)`, {
      hint: 'sha256sum NVIDIA-Linux-x86_64-<version>.run prints it',
    }));
  }
  const cuda = stringAt(h, [...DRIVER, 'cuda_version']);
  if (cuda !== undefined && !CUDA_VERSION.test(cuda)) {
    errors.add(configError('E_CONFIG_CUDA_VERSION', h, [...DRIVER, 'cuda_version'], `cuda_version '${cuda}' must be MAJOR.MINOR, e.g. "12.8"`));
  }
  const cache = stringAt(h, ['core_paths', 'cache_dir']);
  if (cache !== undefined && !cache.startsWith('/')) {
    errors.add(configError('E_CONFIG_PATH', h, ['core_paths', 'cache_dir'], `cache_dir '${cache}' must be an absolute path on the node`));
  }
}

/** The `.run` file name must be NVIDIA's, and both it and its version directory must carry `version`. */
function checkRunfileUrl(h: JsonSource, url: string, version: string | undefined, errors: ErrorList): void {
  const path = [...DRIVER, 'runfile_url'];
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
  errors.add(configError('E_CONFIG_URL_VERSION', h, path,
    `runfile_url names version ${wrong.map(([found, where]) => `${found} (${where})`).join(' and ')} but ${jsonPath(['nvidia_driver', 'version'])} is ${version}`, {
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
