export { loadPhoenixConfig, type LoadPhoenixConfigOptions } from './load-phoenix-config.js';
export { configInventory, containerHostName, CONFIG_GROUPS, type ConfigInventoryOptions } from './config-inventory.js';
export {
  applyPhoenixConfig, checkAppliedFeatures, CONFIG_VAR, DEFAULT_CONFIG_NAME, NODE_VAR, CONFIG_OWNED_VARS, type ApplyPhoenixConfigOptions, type AppliedPhoenixConfig,
} from './apply-phoenix-config.js';
export {
  resolveFeaturesDir, checkFeatureFiles, describeFeaturesDir, FEATURES_DIR_VAR, PROJECT_FEATURES_DIR, type FeaturesDir,
} from './features-dir.js';
export { renderCloneTree } from './render-clone-tree.js';
export { analyseCloneGraph, type CloneGraph } from './clone-graph.js';
export { hypervisorConfigSchema, lxcConfigSchema } from './schema.js';
export { jsonPath } from './json-path.js';
export { readJsonSource, type JsonSource, type DuplicateKey } from './json-source.js';
export type { PhoenixConfig, PhoenixContainer, ContainerConfig, NvidiaDriverConfig } from './types.js';
export { DEFAULT_CACHE_DIR } from './types.js';
