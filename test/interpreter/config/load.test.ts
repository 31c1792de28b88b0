import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import { sharedDir } from '../../support/shared.js';
import * as assert from 'uvu/assert';
import { DEFAULT_CACHE_DIR } from '../../../interpreter/config/index.js';
import { EXAMPLE, FEATURES, errorSummary, fixture, load, loadClean } from './support.js';

test('the example files load with no error, with the feature files and a 2-GPU node', () => {
  const config = loadClean(EXAMPLE, { featuresDir: fixture(FEATURES), gpuCount: 2 });
  assert.is(config.hypervisorFile, fixture(EXAMPLE));
  assert.is(config.lxcFile, fixture('example/phoenix_lxc_configs.json'));
  assert.equal(config.nvidia, {
    install: true,
    version: '580.76.05',
    runfile_url: 'https://us.download.nvidia.com/XFree86/Linux-x86_64/580.76.05/NVIDIA-Linux-x86_64-580.76.05.run',
    runfile_sha256: null,
    cuda_version: '12.8',
  });
  assert.is(config.cacheDir, '/usr/local/phoenix_hypervisor/cache');
  assert.is(config.rebootAfterDriverInstall, false);
  assert.is(config.repoUrl, 'https://developer.download.nvidia.com/compute/cuda/repos/ubuntu2404/x86_64/');
});

test('the example copies are the users\' files unchanged', () => {
  for (const name of ['phoenix_hypervisor_config.json', 'phoenix_lxc_configs.json']) {
    const shared = join(sharedDir(), 'examples', name);
    let original: string | undefined;
    try {
      original = readFileSync(shared, 'utf8');
    } catch {
      continue; // the shared folder exists only on the development machine
    }
    assert.is(readFileSync(fixture(`example/${name}`), 'utf8'), original);
  }
});

test('containers: clone order, parents, depths, GPU indexes and positions of their CTIDs', () => {
  const config = loadClean(EXAMPLE);
  assert.equal(config.cloneOrder, [900, 901, 902, 903, 950]);
  assert.equal([...config.containers.keys()], [900, 901, 902, 903, 950]);
  const rows = [...config.containers.values()].map((c) => [c.ctid, c.parent, c.depth, c.gpuIndexes, c.pos.line, c.pos.column]);
  assert.equal(rows, [
    [900, undefined, 0, [], 6, 5],
    [901, 900, 1, [0, 1], 19, 5],
    [902, 900, 1, [], 32, 5],
    [903, 901, 2, [0, 1], 45, 5],
    [950, 903, 3, [0], 58, 5],
  ]);
  const c901 = config.containers.get(901)!.config;
  assert.is(c901.clone_from_ctid, '900');
  assert.is(c901.template_snapshot_name, 'pre-configured');
  assert.equal(c901.network_config, { name: 'eth0', bridge: 'vmbr0', ip: '10.0.0.201/24', gw: '10.0.0.1' });
  assert.equal(config.containers.get(950)!.config.features, []);
});

test('users\' real files: unknown blocks and fields are allowed; null means absent; numeric clone ids read as CTIDs', () => {
  const config = loadClean('good/phoenix_hypervisor_config.json', { featuresDir: fixture(FEATURES), gpuCount: 2 });
  assert.is(config.nvidia.install, true, 'install defaults to true');
  assert.is(config.nvidia.version, '550.120');
  assert.is(config.cacheDir, DEFAULT_CACHE_DIR);
  assert.is(config.repoUrl, undefined);
  assert.equal(config.cloneOrder, [100, 101, 120]);
  const vllm = config.containers.get(120)!;
  assert.equal(vllm.gpuIndexes, [0, 1]);
  assert.is('template_snapshot_name' in vllm.config, false);
  assert.is('clone_from_ctid' in vllm.config, false);
  assert.is(vllm.config.vllm_model, 'Qwen/Qwen2.5-7B');
  assert.equal(vllm.config.ports, ['8000:8000']);
  assert.is(config.containers.get(101)!.config.clone_from_ctid, '100');
  assert.is(config.containers.get(101)!.parent, 100);
  assert.is(config.containers.get(101)!.config.gpu_assignment, 'none', 'gpu_assignment defaults to none');
  assert.equal(config.containers.get(100)!.config.features, [], 'features default to none');
});

test('lxcFile overrides the file core_paths names; a relative lxc_config_file is relative to the hypervisor file', () => {
  const config = loadClean(EXAMPLE, { lxc: 'lxc/minimal.json' });
  assert.is(config.lxcFile, fixture('lxc/minimal.json'));
  assert.equal(config.cloneOrder, [900, 901]);
  assert.is(loadClean('good/phoenix_hypervisor_config.json').lxcFile, fixture('good/lxc/containers.json'));
});

test('the lxc file\'s copies of version and URL may be present when they agree', () => {
  assert.equal(loadClean(EXAMPLE, { lxc: 'lxc/copies-agree.json' }).cloneOrder, [900, 901]);
});

test('without featuresDir feature files are not looked for; without gpuCount indexes are only checked for form', () => {
  assert.equal(errorSummary(load(EXAMPLE, { lxc: 'lxc/feature-no-file.json' }).errors), []);
  assert.equal(errorSummary(load(EXAMPLE, { lxc: 'lxc/gpu-index-out-of-range.json' }).errors), []);
  assert.equal(errorSummary(load(EXAMPLE, { lxc: 'lxc/gpu-index-out-of-range.json', gpuCount: 3 }).errors), []);
  assert.equal(errorSummary(load(EXAMPLE, { lxc: 'lxc/gpu-index-out-of-range.json', gpuCount: 0 }).errors), [
    'E_CONFIG_GPU_INDEX $.lxc_configs["901"].gpu_assignment lxc/gpu-index-out-of-range.json:13:25',
  ]);
});

test('a missing hypervisor file is an exit-1 error without position; one named by the config is exit 4 at the name', () => {
  const missing = load('nowhere/phoenix_hypervisor_config.json').errors.errors;
  assert.equal(missing.map((e) => [e.code, e.exitCode, e.pos]), [['E_CONFIG_MISSING', 1, undefined]]);
  const named = load('hv/lxc-file-not-found.json').errors.errors;
  assert.equal(named.map((e) => [e.code, e.exitCode]), [['E_CONFIG_MISSING', 4]]);
});

test('every other error is exit code 4 and carries a file, a JSON path or both', () => {
  const { errors } = load('hv/problems-in-both-files.json', { gpuCount: 2 });
  assert.ok(errors.errors.length >= 7);
  for (const e of errors.errors) {
    assert.is(e.exitCode, 4);
    assert.ok(e.pos && e.jsonPath);
  }
});

test('a mismatch names both files, both values and both JSON paths', () => {
  const [error] = load(EXAMPLE, { lxc: 'lxc/version-mismatch.json' }).errors.errors;
  for (const part of [fixture('lxc/version-mismatch.json'), fixture(EXAMPLE), '575.64.05', '580.76.05', '$.nvidia_driver_version', '$.nvidia_driver.version', `${fixture(EXAMPLE)}:9:16`]) {
    assert.ok(error.message.includes(part), `message lacks ${part}: ${error.message}`);
  }
});

test('values are not coerced: a quoted number stays a string in the error and the file is refused', () => {
  const { config, errors } = load(EXAMPLE, { lxc: 'lxc/memory-string.json' });
  assert.is(config, undefined);
  assert.ok(errors.errors[0].message.includes('"2048"'));
});

test.run();
