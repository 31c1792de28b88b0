import { dirname, resolve } from 'node:path';
import type { ErrorList } from '../errors.js';
import { checkContainers, type ContainerCheckOptions } from './check-containers.js';
import { checkDriver, checkDriverCopies } from './check-driver.js';
import { configError, stringAt } from './config-error.js';
import { checkContainerToolkit, containerToolkitConfig } from './container-toolkit.js';
import { checkFeatureFiles } from './features-dir.js';
import { jsonPath } from './json-path.js';
import { checkNodeDrivers, nodeDriverConfigs } from './node-drivers.js';
import { readJsonSource, type JsonSource } from './json-source.js';
import { KNOWN_KEYS, checkKeyTypos, hypervisorConfigSchema, lxcConfigSchema, validateConfigShape } from './schema.js';
import { DEFAULT_CACHE_DIR, type GpuPassthroughStyle, type NvidiaDriverConfig, type PhoenixConfig } from './types.js';

/** Options of {@link loadPhoenixConfig}. */
export interface LoadPhoenixConfigOptions extends ContainerCheckOptions {
  /** The lxc file to read instead of the one `core_paths.lxc_config_file` names. */
  lxcFile?: string;
  /**
   * Also check that every listed feature has its task file in this directory. Without it feature files are not looked
   * for: `phoenix run` checks them against the inventory's features directory only when a play includes features.
   */
  featuresDir?: string;
}

/**
 * Reads `phoenix_hypervisor_config.json` and the lxc file it names (`core_paths.lxc_config_file`, relative to the
 * hypervisor file's directory, unless `options.lxcFile`), validates both and cross-checks them. Every problem goes to
 * `errors` (code, file, JSON path, line:column; exit code 4); returns the configuration only when nothing is wrong.
 */
export function loadPhoenixConfig(hypervisorFile: string, errors: ErrorList, options: LoadPhoenixConfigOptions = {}): PhoenixConfig | undefined {
  const before = errors.errors.length;
  const h = readJsonSource(resolve(hypervisorFile), errors);
  if (!h) return undefined;
  validateConfigShape(h, hypervisorConfigSchema, errors);
  checkDuplicateKeys(h, errors, false);
  for (const [block, known] of [[[], KNOWN_KEYS.hypervisor], [['core_paths'], KNOWN_KEYS.core_paths], [['nvidia_driver'], KNOWN_KEYS.nvidia_driver], [['behavior'], KNOWN_KEYS.behavior]] as const) {
    checkKeyTypos(h, block, known, errors);
  }
  checkDriver(h, errors);
  checkNodeDrivers(h, errors);
  const l = readLxcFile(h, errors, options.lxcFile);
  if (!l) return undefined;
  validateConfigShape(l, lxcConfigSchema, errors);
  checkDuplicateKeys(l, errors, true);
  checkKeyTypos(l, [], KNOWN_KEYS.lxc, errors);
  checkDriverCopies(h, l, errors);
  checkContainerToolkit(l, errors);
  const containers = checkContainers(l, errors, options);
  if (options.featuresDir !== undefined) checkFeatureFiles(l, { dir: resolve(options.featuresDir), source: 'explicit' }, errors);
  if (errors.errors.length > before) return undefined;
  return assemble(h, l, containers);
}

function readLxcFile(h: JsonSource, errors: ErrorList, override?: string): JsonSource | undefined {
  if (override !== undefined) return readJsonSource(resolve(override), errors);
  const named = stringAt(h, ['core_paths', 'lxc_config_file']);
  if (named === undefined) {
    const root = h.value as { core_paths?: { lxc_config_file?: unknown } } | null;
    const shapeOk = !!root && typeof root === 'object' && !Array.isArray(root) && (root.core_paths === undefined || typeof root.core_paths === 'object');
    if (shapeOk && root.core_paths?.lxc_config_file === undefined) {
      errors.add(configError('E_CONFIG_REQUIRED', h, ['core_paths', 'lxc_config_file'], `${jsonPath(['core_paths', 'lxc_config_file'])} must name the lxc configuration file`, {
        hint: 'e.g. "lxc_config_file": "phoenix_lxc_configs.json" (relative to this file)',
      }));
    }
    return undefined;
  }
  return readJsonSource(resolve(dirname(h.file), named), errors, {
    namedAt: h.valuePos(['core_paths', 'lxc_config_file']),
    namedAtPath: jsonPath(['core_paths', 'lxc_config_file']),
  });
}

/** Keys written twice; in the lxc file, twice-written CTIDs are left to the container checks (E_CONFIG_DUPLICATE_CTID). */
function checkDuplicateKeys(src: JsonSource, errors: ErrorList, lxcFile: boolean): void {
  for (const dup of src.duplicates) {
    if (lxcFile && dup.parent.length === 1 && dup.parent[0] === 'lxc_configs') continue;
    errors.add(configError('E_CONFIG_DUPLICATE_KEY', src, [...dup.parent, dup.key], `key '${dup.key}' is written twice in ${jsonPath(dup.parent)} (first at line ${dup.first.line}); JSON would silently keep only the last`, {
      atKey: true,
    }));
  }
}

function assemble(h: JsonSource, l: JsonSource, containers: ReturnType<typeof checkContainers>): PhoenixConfig {
  const hv = h.value as {
    core_paths?: { cache_dir?: string };
    nvidia_driver: Partial<NvidiaDriverConfig> & { version: string; runfile_url: string; cuda_version: string };
    behavior?: { reboot_after_driver_install?: boolean };
    gpu_passthrough_style?: GpuPassthroughStyle;
    shared_storage?: string[];
  };
  const driver = hv.nvidia_driver;
  const lxc = l.value as { nvidia_repo_url?: string };
  const nvidia: NvidiaDriverConfig = {
    install: driver.install ?? true,
    version: driver.version,
    runfile_url: driver.runfile_url,
    runfile_sha256: driver.runfile_sha256 ?? null,
    cuda_version: driver.cuda_version,
  };
  return {
    hypervisorFile: h.file,
    lxcFile: l.file,
    sources: { hypervisor: h, lxc: l },
    nvidia,
    nodeDrivers: nodeDriverConfigs(h, nvidia),
    cacheDir: hv.core_paths?.cache_dir ?? DEFAULT_CACHE_DIR,
    rebootAfterDriverInstall: hv.behavior?.reboot_after_driver_install ?? false,
    gpuPassthroughStyle: hv.gpu_passthrough_style ?? 'auto',
    sharedStorage: [...new Set(hv.shared_storage ?? [])],
    repoUrl: lxc.nvidia_repo_url,
    containerToolkit: containerToolkitConfig(l),
    containers: new Map(containers.map((c) => [c.ctid, c])),
    cloneOrder: containers.map((c) => c.ctid),
  };
}
