import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ArtifactServer } from './artifacts-hook.js';
import { LAB_DIR, REPO_ROOT } from './paths.js';

/** Where the lab keeps its copy of the users' configuration. */
export const LAB_CONFIG_DIR = join(LAB_DIR, 'config');

/**
 * The example configuration (inventory/phoenix_*.json) as the lab runs it: identical except that the URLs point at
 * the lab's artifact server instead of NVIDIA (no machine here reaches the internet), and verify's docker_gpu check
 * gets the stand-in docker's local image. The driver version and the
 * URL's version still agree, so every cross-check of the real files applies.
 */
export function writeLabConfig(artifacts: ArtifactServer, sourceDir = join(REPO_ROOT, 'inventory'), outDir = LAB_CONFIG_DIR): string {
  const hypervisor = JSON.parse(readFileSync(join(sourceDir, 'phoenix_hypervisor_config.json'), 'utf8'));
  const lxc = JSON.parse(readFileSync(join(sourceDir, 'phoenix_lxc_configs.json'), 'utf8'));
  const version = String(hypervisor.nvidia_driver.version);
  const runfileUrl = artifacts.runfileUrls[version];
  if (!runfileUrl) throw new Error(`lab: the artifact server has no stand-in .run for driver ${version}`);
  hypervisor.nvidia_driver.runfile_url = runfileUrl;
  if (lxc.nvidia_runfile_url !== undefined) lxc.nvidia_runfile_url = runfileUrl;
  // NVIDIA's layout (.../repos/<distro>/x86_64/): the containers' ubuntu2404; site.yml derives the nodes' debian12 or
  // debian13 from it (the artifact server serves the one CUDA repo under each).
  lxc.nvidia_repo_url = `${artifacts.apt.cuda.url.replace(/\/?$/, '/')}repos/ubuntu2404/x86_64/`;
  lxc.nvidia_container_toolkit_repo_url = artifacts.apt.containerToolkit.url;
  lxc.nvidia_container_toolkit_key_url = artifacts.apt.containerToolkit.keyUrl;
  // The image the stand-in docker-ce ships in its local store (lab/artifacts/README.md): nothing is pulled.
  lxc.docker_gpu_image = artifacts.apt.docker.image;
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'phoenix_hypervisor_config.json');
  writeFileSync(file, `${JSON.stringify(hypervisor, null, 2)}\n`);
  writeFileSync(join(outDir, String(hypervisor.core_paths?.lxc_config_file ?? 'phoenix_lxc_configs.json')), `${JSON.stringify(lxc, null, 2)}\n`);
  return file;
}

/** Variables of `all` that make site.yml run on the lab: its config, its repositories, no kernel headers. */
export function labSiteVars(artifacts: ArtifactServer, configFile: string): Record<string, string | boolean> {
  const keyId = artifacts.apt.cuda.fingerprint.slice(-8).toLowerCase();
  return {
    phoenix_config: configFile,
    // The lab node has no proxmox-headers package: the stand-in installer needs no kernel build.
    phoenix_install_build_deps: false,
    nvidia_repo_key: `${keyId}.pub`,
    // The nodes' CUDA repository (debian12/debian13 paths) is signed with the same lab key.
    nvidia_node_repo_key: `${keyId}.pub`,
    docker_repo_uri: artifacts.apt.docker.url,
    docker_repo_suite: artifacts.apt.docker.suite,
    docker_repo_key_url: `${artifacts.apt.docker.url.replace(/\/$/, '')}/gpg`,
  };
}
