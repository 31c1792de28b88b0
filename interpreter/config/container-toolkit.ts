import type { ErrorList } from '../errors.js';
import { configError, stringAt } from './config-error.js';
import type { JsonSource } from './json-source.js';

/** NVIDIA's Container Toolkit repository: flat (`deb [signed-by=…] URL /`), one per architecture. */
export const DEFAULT_TOOLKIT_REPO_URL = 'https://nvidia.github.io/libnvidia-container/stable/deb/amd64/';
export const DEFAULT_TOOLKIT_KEY_URL = 'https://nvidia.github.io/libnvidia-container/gpgkey';

/** The four packages NVIDIA's install guide pins together: a newer library under an older CLI does not start. */
export const TOOLKIT_PACKAGES = ['nvidia-container-toolkit', 'nvidia-container-toolkit-base', 'libnvidia-container-tools', 'libnvidia-container1'] as const;

/** The Container Toolkit settings of `phoenix_lxc_configs.json`, defaults filled in; the variable `nvidia_container_toolkit`. */
export interface ContainerToolkitConfig {
  repo_url: string;
  key_url: string;
  /** A Debian version such as `1.17.8-1` every package is pinned to, or null for the repository's newest. */
  version: string | null;
  /** What apt installs: the package names, each `=version` when a version is set. */
  packages: string[];
  /** A local image for verify's docker_gpu check, or null (that check is skipped). */
  docker_gpu_image: string | null;
}

export const TOOLKIT_KEYS = {
  repo: 'nvidia_container_toolkit_repo_url',
  key: 'nvidia_container_toolkit_key_url',
  version: 'nvidia_container_toolkit_version',
  image: 'docker_gpu_image',
} as const;

/** A Debian version: optional epoch, upstream starting with a digit, optional revision (`1.17.8-1`, `1:2.0~rc1-0`). */
const DEBIAN_VERSION = /^(?:\d+:)?\d[A-Za-z0-9.+~]*(?:-[A-Za-z0-9.+~]+)?$/;
/** Docker's image reference, as `docker run` accepts it: [registry[:port]/]path[:tag][@sha256:digest], lower-case path. */
const IMAGE_REFERENCE = /^(?:[A-Za-z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** Checks the formats of the Container Toolkit keys of the lxc file (their types are the schema's). */
export function checkContainerToolkit(l: JsonSource, errors: ErrorList): void {
  for (const key of [TOOLKIT_KEYS.repo, TOOLKIT_KEYS.key]) {
    const url = stringAt(l, [key]);
    if (url !== undefined && !isHttpUrl(url)) {
      errors.add(configError('E_CONFIG_URL', l, [key], `${key} '${url}' is not an http(s) URL`, {
        hint: `NVIDIA's is ${key === TOOLKIT_KEYS.repo ? DEFAULT_TOOLKIT_REPO_URL : DEFAULT_TOOLKIT_KEY_URL}; remove the key to use it`,
      }));
    }
  }
  const version = stringAt(l, [TOOLKIT_KEYS.version]);
  if (version !== undefined && !DEBIAN_VERSION.test(version)) {
    errors.add(configError('E_CONFIG_TOOLKIT_VERSION', l, [TOOLKIT_KEYS.version], `${TOOLKIT_KEYS.version} '${version}' is not a Debian package version`, {
      hint: 'write the version apt-cache madison nvidia-container-toolkit lists, e.g. "1.17.8-1", or remove the key for the newest',
    }));
  }
  const image = stringAt(l, [TOOLKIT_KEYS.image]);
  if (image !== undefined && !IMAGE_REFERENCE.test(image)) {
    errors.add(configError('E_CONFIG_IMAGE', l, [TOOLKIT_KEYS.image], `${TOOLKIT_KEYS.image} '${image}' is not a Docker image reference`, {
      hint: 'name a local image as docker images shows it, e.g. "nvidia/cuda:12.8.1-base-ubuntu24.04"',
    }));
  }
}

/** The settings with their defaults; call after {@link checkContainerToolkit} found nothing wrong. */
export function containerToolkitConfig(l: JsonSource): ContainerToolkitConfig {
  const version = stringAt(l, [TOOLKIT_KEYS.version]) ?? null;
  return {
    repo_url: stringAt(l, [TOOLKIT_KEYS.repo]) ?? DEFAULT_TOOLKIT_REPO_URL,
    key_url: stringAt(l, [TOOLKIT_KEYS.key]) ?? DEFAULT_TOOLKIT_KEY_URL,
    version,
    packages: TOOLKIT_PACKAGES.map((name) => (version === null ? name : `${name}=${version}`)),
    docker_gpu_image: stringAt(l, [TOOLKIT_KEYS.image]) ?? null,
  };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
  } catch {
    return false;
  }
}
