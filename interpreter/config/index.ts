export { loadPhoenixConfig, type LoadPhoenixConfigOptions } from './loadPhoenixConfig.js';
export { configInventory, containerHostName, CONFIG_GROUPS, type ConfigInventoryOptions } from './configInventory.js';
export {
  applyPhoenixConfig, checkAppliedFeatures, CONFIG_VAR, DEFAULT_CONFIG_NAME, NODE_VAR, CONFIG_OWNED_VARS, type ApplyPhoenixConfigOptions, type AppliedPhoenixConfig,
} from './applyPhoenixConfig.js';
export {
  resolveFeaturesDir, checkFeatureFiles, describeFeaturesDir, FEATURES_DIR_VAR, PROJECT_FEATURES_DIR, type FeaturesDir,
} from './featuresDir.js';
export { renderCloneTree } from './renderCloneTree.js';
export { analyseCloneGraph, type CloneGraph } from './cloneGraph.js';
export { hypervisorConfigSchema, lxcConfigSchema } from './schema.js';
export { jsonPath } from './jsonPath.js';
export { readJsonSource, type JsonSource, type DuplicateKey } from './jsonSource.js';
export type { PhoenixConfig, PhoenixContainer, ContainerConfig, NvidiaDriverConfig } from './types.js';
export { DEFAULT_CACHE_DIR } from './types.js';
