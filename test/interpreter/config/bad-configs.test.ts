import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EXAMPLE, FEATURES, errorSummary, fixture, load } from './support.js';

/**
 * The bad-configuration corpus: each fixture and every error it must give, as `CODE JSONPATH file:line:column`
 * (the position of the offending value, or of the key for CTID/duplicate/unknown-key problems). `hv/` files are
 * hypervisor files (most name lxc/minimal.json); `lxc/` files are loaded with the example hypervisor file.
 * All are checked with the fixture feature files and a node of 2 GPUs.
 */
const CASES: Record<string, string[]> = {
  'hv/cache-dir-relative.json': [
    'E_CONFIG_PATH $.core_paths.cache_dir hv/cache-dir-relative.json:5:18',
  ],
  'hv/comment.json': [
    'E_CONFIG_JSON_SYNTAX - hv/comment.json:14:3',
  ],
  'hv/cuda-version-major-only.json': [
    'E_CONFIG_CUDA_VERSION $.nvidia_driver.cuda_version hv/cuda-version-major-only.json:12:21',
  ],
  'hv/cuda-version-number.json': [
    'E_CONFIG_TYPE $.nvidia_driver.cuda_version hv/cuda-version-number.json:12:21',
  ],
  'hv/duplicate-key.json': [
    'E_CONFIG_DUPLICATE_KEY $.nvidia_driver.version hv/duplicate-key.json:10:5',
  ],
  'hv/empty.json': [
    'E_CONFIG_JSON_SYNTAX - hv/empty.json:1:1',
  ],
  'hv/install-string.json': [
    'E_CONFIG_TYPE $.nvidia_driver.install hv/install-string.json:8:16',
  ],
  'hv/lxc-file-not-found.json': [
    'E_CONFIG_MISSING $.core_paths.lxc_config_file hv/lxc-file-not-found.json:4:24',
  ],
  'hv/missing-lxc-config-file.json': [
    'E_CONFIG_REQUIRED $.core_paths.lxc_config_file hv/missing-lxc-config-file.json:3:17',
  ],
  'hv/missing-nvidia-driver.json': [
    'E_CONFIG_REQUIRED $.nvidia_driver hv/missing-nvidia-driver.json:1:1',
  ],
  'hv/missing-version.json': [
    'E_CONFIG_REQUIRED $.nvidia_driver.version hv/missing-version.json:7:20',
  ],
  'hv/not-an-object.json': [
    'E_CONFIG_TYPE $ hv/not-an-object.json:1:1',
  ],
  'hv/passthrough-style-bad.json': [
    'E_CONFIG_SCHEMA $.gpu_passthrough_style hv/passthrough-style-bad.json:14:28',
  ],
  'hv/problems-in-both-files.json': [
    'E_CONFIG_SHA256 $.nvidia_driver.runfile_sha256 hv/problems-in-both-files.json:11:23',
    'E_CONFIG_TYPE $.lxc_configs["900"].memory_mb lxc/many-problems.json:10:20',
    'E_CONFIG_MISMATCH $.nvidia_driver_version lxc/many-problems.json:2:28',
    'E_CONFIG_CTID $.lxc_configs["42"] lxc/many-problems.json:26:5',
    'E_CONFIG_GPU_ASSIGNMENT $.lxc_configs["900"].gpu_assignment lxc/many-problems.json:7:25',
    'E_CONFIG_GPU_INDEX $.lxc_configs["903"].gpu_assignment lxc/many-problems.json:22:25',
    'E_CONFIG_CLONE_CYCLE $.lxc_configs["901"].clone_from_ctid lxc/many-problems.json:14:26',
  ],
  'hv/reboot-string.json': [
    'E_CONFIG_TYPE $.behavior.reboot_after_driver_install hv/reboot-string.json:15:36',
  ],
  'hv/sha256-not-hex.json': [
    'E_CONFIG_SHA256 $.nvidia_driver.runfile_sha256 hv/sha256-not-hex.json:11:23',
  ],
  'hv/sha256-number.json': [
    'E_CONFIG_TYPE $.nvidia_driver.runfile_sha256 hv/sha256-number.json:11:23',
  ],
  'hv/sha256-short.json': [
    'E_CONFIG_SHA256 $.nvidia_driver.runfile_sha256 hv/sha256-short.json:11:23',
  ],
  'hv/trailing-comma.json': [
    'E_CONFIG_JSON_SYNTAX - hv/trailing-comma.json:13:3',
  ],
  'hv/typo-sha256-key.json': [
    'E_CONFIG_UNKNOWN_KEY $.nvidia_driver.runfile_sha265 hv/typo-sha256-key.json:11:5',
  ],
  'hv/url-both-versions.json': [
    'E_CONFIG_URL_VERSION $.nvidia_driver.runfile_url hv/url-both-versions.json:10:20',
  ],
  'hv/url-dir-version.json': [
    'E_CONFIG_URL_VERSION $.nvidia_driver.runfile_url hv/url-dir-version.json:10:20',
  ],
  'hv/url-file-version.json': [
    'E_CONFIG_URL_VERSION $.nvidia_driver.runfile_url hv/url-file-version.json:10:20',
  ],
  'hv/url-not-a-url.json': [
    'E_CONFIG_URL $.nvidia_driver.runfile_url hv/url-not-a-url.json:10:20',
  ],
  'hv/url-not-nvidia-file.json': [
    'E_CONFIG_URL $.nvidia_driver.runfile_url hv/url-not-nvidia-file.json:10:20',
  ],
  'hv/version-not-a-version.json': [
    'E_CONFIG_DRIVER_VERSION $.nvidia_driver.version hv/version-not-a-version.json:9:16',
  ],
  'hv/version-number.json': [
    'E_CONFIG_TYPE $.nvidia_driver.version hv/version-number.json:9:16',
  ],
  'lxc/clone-cycle-three.json': [
    'E_CONFIG_CLONE_CYCLE $.lxc_configs["910"].clone_from_ctid lxc/clone-cycle-three.json:12:26',
  ],
  'lxc/clone-cycle.json': [
    'E_CONFIG_CLONE_CYCLE $.lxc_configs["901"].clone_from_ctid lxc/clone-cycle.json:12:26',
  ],
  'lxc/clone-missing.json': [
    'E_CONFIG_CLONE_MISSING $.lxc_configs["901"].clone_from_ctid lxc/clone-missing.json:12:26',
  ],
  'lxc/clone-not-digits.json': [
    'E_CONFIG_CLONE_MISSING $.lxc_configs["901"].clone_from_ctid lxc/clone-not-digits.json:12:26',
  ],
  'lxc/clone-parent-not-template.json': [
    'E_CONFIG_CLONE_PARENT $.lxc_configs["901"].clone_from_ctid lxc/clone-parent-not-template.json:11:26',
  ],
  'lxc/clone-self.json': [
    'E_CONFIG_CLONE_CYCLE $.lxc_configs["901"].clone_from_ctid lxc/clone-self.json:12:26',
  ],
  'lxc/container-not-object.json': [
    'E_CONFIG_TYPE $.lxc_configs["900"] lxc/container-not-object.json:3:12',
  ],
  'lxc/cores-zero.json': [
    'E_CONFIG_SCHEMA $.lxc_configs["900"].cores lxc/cores-zero.json:7:16',
  ],
  'lxc/ctid-leading-zero.json': [
    'E_CONFIG_CTID $.lxc_configs["0901"] lxc/ctid-leading-zero.json:10:5',
  ],
  'lxc/ctid-not-digits.json': [
    'E_CONFIG_CTID $.lxc_configs.web lxc/ctid-not-digits.json:10:5',
  ],
  'lxc/ctid-too-big.json': [
    'E_CONFIG_CTID $.lxc_configs["1000000000"] lxc/ctid-too-big.json:10:5',
  ],
  'lxc/ctid-too-small.json': [
    'E_CONFIG_CTID $.lxc_configs["99"] lxc/ctid-too-small.json:10:5',
  ],
  'lxc/duplicate-ctid.json': [
    'E_CONFIG_DUPLICATE_CTID $.lxc_configs["901"] lxc/duplicate-ctid.json:16:5',
  ],
  'lxc/feature-bad-name.json': [
    'E_CONFIG_FEATURE_NAME $.lxc_configs["901"].features[0] lxc/feature-bad-name.json:14:20',
  ],
  'lxc/feature-no-file.json': [
    'E_CONFIG_FEATURE $.lxc_configs["901"].features[1] lxc/feature-no-file.json:14:30',
  ],
  'lxc/feature-twice.json': [
    'E_CONFIG_FEATURE_NAME $.lxc_configs["901"].features[2] lxc/feature-twice.json:14:40',
  ],
  'lxc/features-string.json': [
    'E_CONFIG_TYPE $.lxc_configs["901"].features lxc/features-string.json:14:19',
  ],
  'lxc/gpu-duplicate.json': [
    'E_CONFIG_GPU_ASSIGNMENT $.lxc_configs["901"].gpu_assignment lxc/gpu-duplicate.json:13:25',
  ],
  'lxc/gpu-empty.json': [
    'E_CONFIG_GPU_ASSIGNMENT $.lxc_configs["901"].gpu_assignment lxc/gpu-empty.json:13:25',
  ],
  'lxc/gpu-index-out-of-range.json': [
    'E_CONFIG_GPU_INDEX $.lxc_configs["901"].gpu_assignment lxc/gpu-index-out-of-range.json:13:25',
  ],
  'lxc/gpu-not-a-list.json': [
    'E_CONFIG_GPU_ASSIGNMENT $.lxc_configs["901"].gpu_assignment lxc/gpu-not-a-list.json:13:25',
  ],
  'lxc/gpu-number.json': [
    'E_CONFIG_TYPE $.lxc_configs["901"].gpu_assignment lxc/gpu-number.json:13:25',
  ],
  'lxc/gpu-semicolon.json': [
    'E_CONFIG_GPU_ASSIGNMENT $.lxc_configs["901"].gpu_assignment lxc/gpu-semicolon.json:13:25',
  ],
  'lxc/lxc-configs-array.json': [
    'E_CONFIG_TYPE $.lxc_configs lxc/lxc-configs-array.json:2:18',
  ],
  'lxc/lxc-configs-missing.json': [
    'E_CONFIG_REQUIRED $.lxc_configs lxc/lxc-configs-missing.json:1:1',
  ],
  'lxc/many-problems.json': [
    'E_CONFIG_TYPE $.lxc_configs["900"].memory_mb lxc/many-problems.json:10:20',
    'E_CONFIG_MISMATCH $.nvidia_driver_version lxc/many-problems.json:2:28',
    'E_CONFIG_CTID $.lxc_configs["42"] lxc/many-problems.json:26:5',
    'E_CONFIG_GPU_ASSIGNMENT $.lxc_configs["900"].gpu_assignment lxc/many-problems.json:7:25',
    'E_CONFIG_GPU_INDEX $.lxc_configs["903"].gpu_assignment lxc/many-problems.json:22:25',
    'E_CONFIG_CLONE_CYCLE $.lxc_configs["901"].clone_from_ctid lxc/many-problems.json:14:26',
  ],
  'lxc/memory-string.json': [
    'E_CONFIG_TYPE $.lxc_configs["900"].memory_mb lxc/memory-string.json:6:20',
  ],
  'lxc/missing-comma.json': [
    'E_CONFIG_JSON_SYNTAX - lxc/missing-comma.json:14:7',
  ],
  'lxc/name-bad.json': [
    'E_CONFIG_SCHEMA $.lxc_configs["901"].name lxc/name-bad.json:11:15',
  ],
  'lxc/name-missing.json': [
    'E_CONFIG_REQUIRED $.lxc_configs["901"].name lxc/name-missing.json:10:12',
  ],
  'lxc/network-bad-ip.json': [
    'E_CONFIG_NETWORK $.lxc_configs["900"].network_config.ip lxc/network-bad-ip.json:6:68',
  ],
  'lxc/network-gw-number.json': [
    'E_CONFIG_TYPE $.lxc_configs["900"].network_config.gw lxc/network-gw-number.json:6:82',
  ],
  'lxc/network-no-prefix.json': [
    'E_CONFIG_NETWORK $.lxc_configs["900"].network_config.ip lxc/network-no-prefix.json:6:68',
    'E_CONFIG_NETWORK $.lxc_configs["900"].network_config.gw lxc/network-no-prefix.json:6:88',
  ],
  'lxc/network-same-ip.json': [
    'E_CONFIG_NETWORK_DUPLICATE $.lxc_configs["901"].network_config.ip lxc/network-same-ip.json:14:33',
  ],
  'lxc/no-template.json': [
    'E_CONFIG_TEMPLATE_MISSING $.lxc_configs["900"] lxc/no-template.json:3:5',
  ],
  'lxc/passthrough-style-bad.json': [
    'E_CONFIG_SCHEMA $.lxc_configs["901"].gpu_passthrough_style lxc/passthrough-style-bad.json:12:32',
  ],
  'lxc/passthrough-style-typo.json': [
    'E_CONFIG_UNKNOWN_KEY $.lxc_configs["901"].gpu_passthrough_stlye lxc/passthrough-style-typo.json:12:7',
  ],
  'lxc/single-quotes.json': [
    'E_CONFIG_JSON_SYNTAX - lxc/single-quotes.json:11:7',
  ],
  'lxc/snapshot-bad-name.json': [
    'E_CONFIG_SNAPSHOT_NAME $.lxc_configs["900"].template_snapshot_name lxc/snapshot-bad-name.json:6:33',
  ],
  'lxc/snapshot-empty.json': [
    'E_CONFIG_SNAPSHOT_NAME $.lxc_configs["900"].template_snapshot_name lxc/snapshot-empty.json:6:33',
  ],
  'lxc/snapshot-number.json': [
    'E_CONFIG_TYPE $.lxc_configs["900"].template_snapshot_name lxc/snapshot-number.json:6:33',
  ],
  'lxc/template-bad-on-clone.json': [
    'E_CONFIG_TEMPLATE $.lxc_configs["901"].template lxc/template-bad-on-clone.json:13:19',
  ],
  'lxc/template-not-os-template.json': [
    'E_CONFIG_TEMPLATE $.lxc_configs["900"].template lxc/template-not-os-template.json:5:19',
  ],
  'lxc/toolkit-bad-formats.json': [
    'E_CONFIG_URL $.nvidia_container_toolkit_repo_url lxc/toolkit-bad-formats.json:2:40',
    'E_CONFIG_URL $.nvidia_container_toolkit_key_url lxc/toolkit-bad-formats.json:3:39',
    'E_CONFIG_TOOLKIT_VERSION $.nvidia_container_toolkit_version lxc/toolkit-bad-formats.json:4:39',
    'E_CONFIG_IMAGE $.docker_gpu_image lxc/toolkit-bad-formats.json:5:23',
  ],
  'lxc/toolkit-typo-key.json': [
    'E_CONFIG_UNKNOWN_KEY $.nvidia_container_toolkit_versoin lxc/toolkit-typo-key.json:2:3',
  ],
  'lxc/toolkit-version-number.json': [
    'E_CONFIG_TYPE $.nvidia_container_toolkit_version lxc/toolkit-version-number.json:2:39',
  ],
  'lxc/typo-gpu-assignment-key.json': [
    'E_CONFIG_UNKNOWN_KEY $.lxc_configs["901"].gpu_assigment lxc/typo-gpu-assignment-key.json:13:7',
  ],
  'lxc/unprivileged-string.json': [
    'E_CONFIG_TYPE $.lxc_configs["900"].unprivileged lxc/unprivileged-string.json:6:23',
  ],
  'lxc/url-mismatch.json': [
    'E_CONFIG_MISMATCH $.nvidia_runfile_url lxc/url-mismatch.json:3:25',
  ],
  'lxc/version-mismatch.json': [
    'E_CONFIG_MISMATCH $.nvidia_driver_version lxc/version-mismatch.json:2:28',
  ],
};

for (const [name, expected] of Object.entries(CASES)) {
  test(`bad configuration ${name}: ${[...new Set(expected.map((e) => e.split(' ')[0]))].join(', ')}`, () => {
    const [kind] = name.split('/');
    const { config, errors } = kind === 'hv'
      ? load(name, { featuresDir: fixture(FEATURES), gpuCount: 2 })
      : load(EXAMPLE, { lxc: name, featuresDir: fixture(FEATURES), gpuCount: 2 });
    assert.equal(errorSummary(errors), expected);
    assert.is(config, undefined, 'no configuration comes back when anything is wrong');
  });
}

test('the corpus has at least 25 bad configurations and covers every error code', () => {
  assert.ok(Object.keys(CASES).length >= 25);
  const codes = new Set(Object.values(CASES).flat().map((e) => e.split(' ')[0]));
  for (const code of [
    'E_CONFIG_JSON_SYNTAX', 'E_CONFIG_MISSING', 'E_CONFIG_REQUIRED', 'E_CONFIG_TYPE', 'E_CONFIG_SCHEMA', 'E_CONFIG_UNKNOWN_KEY',
    'E_CONFIG_DUPLICATE_KEY', 'E_CONFIG_DRIVER_VERSION', 'E_CONFIG_URL', 'E_CONFIG_URL_VERSION', 'E_CONFIG_SHA256',
    'E_CONFIG_CUDA_VERSION', 'E_CONFIG_PATH', 'E_CONFIG_MISMATCH', 'E_CONFIG_CTID', 'E_CONFIG_DUPLICATE_CTID',
    'E_CONFIG_CLONE_MISSING', 'E_CONFIG_CLONE_CYCLE', 'E_CONFIG_CLONE_PARENT', 'E_CONFIG_TEMPLATE_MISSING', 'E_CONFIG_TEMPLATE',
    'E_CONFIG_GPU_ASSIGNMENT', 'E_CONFIG_GPU_INDEX', 'E_CONFIG_FEATURE', 'E_CONFIG_FEATURE_NAME', 'E_CONFIG_SNAPSHOT_NAME',
    'E_CONFIG_NETWORK', 'E_CONFIG_NETWORK_DUPLICATE', 'E_CONFIG_TOOLKIT_VERSION', 'E_CONFIG_IMAGE',
  ]) assert.ok(codes.has(code), `no case gives ${code}`);
});

test.run();
