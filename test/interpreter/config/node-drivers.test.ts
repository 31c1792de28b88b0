import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { configInventory, renderCloneTree } from '../../../interpreter/config/index.js';
import { hostVars } from '../../../interpreter/inventory/index.js';
import { errorSummary, fixture, load, loadClean, nodesInventory, thrown } from './support.js';

/** Issue 14: one driver for the cluster, or a node's own (`nodes.<node>.nvidia_driver`), checked before connecting. */
const HV = 'node-drivers/phoenix_hypervisor_config.json';

test('a node override is the cluster driver under the node\'s own keys', () => {
  const config = loadClean(HV);
  assert.equal([...config.nodeDrivers.keys()], ['pve2']);
  assert.equal(config.nodeDrivers.get('pve2'), {
    install: true,
    version: '570.172.08',
    runfile_url: 'https://us.download.nvidia.com/XFree86/Linux-x86_64/570.172.08/NVIDIA-Linux-x86_64-570.172.08.run',
    runfile_sha256: null,
    cuda_version: '12.6',
  });
  assert.is(config.nvidia.version, '580.76.05');
});

test('the overridden node and its containers get the node\'s driver as host vars; the others keep the cluster\'s', () => {
  const inv = nodesInventory('pve1', 'pve2');
  configInventory(loadClean(HV), inv);
  for (const host of ['pve2', 'ct910', 'ct960']) {
    assert.is((hostVars(inv, host).nvidia as { version: string }).version, '570.172.08', host);
    assert.is(hostVars(inv, host).cuda_toolkit_package, 'cuda-toolkit-12-6', host);
  }
  for (const host of ['pve1', 'ct900', 'ct901']) {
    assert.is((hostVars(inv, host).nvidia as { version: string }).version, '580.76.05', host);
    assert.is(hostVars(inv, host).cuda_toolkit_package, 'cuda-toolkit-12-8', host);
  }
  assert.equal(inv.hosts.get('ct960')!.varPositions.nvidia, { file: fixture(HV), line: 15, column: 7 });
});

test('a container pinned to another version than its node\'s stops the run: file, JSON path, line, both values', () => {
  const config = loadClean(HV, { lxc: 'node-drivers/pins-wrong.json' });
  const errors = thrown(() => configInventory(config, nodesInventory('pve1', 'pve2')));
  const file = fixture('node-drivers/pins-wrong.json');
  assert.equal(errors.map((e) => [e.code, e.jsonPath, e.pos]), [
    ['E_CONFIG_MISMATCH', '$.lxc_configs["901"].nvidia_driver_version', { file, line: 5, column: 103 }],
    ['E_CONFIG_MISMATCH', '$.lxc_configs["960"].nvidia_driver_version', { file, line: 7, column: 105 }],
  ]);
  assert.match(errors[0].message, /container 901 pins nvidia_driver_version '570\.172\.08' but its node pve1 has driver 580\.76\.05 \(.*phoenix_hypervisor_config\.json \$\.nvidia_driver\.version at 8:16\)/);
  assert.match(errors[1].message, /container 960 pins nvidia_driver_version '580\.76\.05' but its node pve2 has driver 570\.172\.08 \(.*phoenix_hypervisor_config\.json \$\.nodes\.pve2\.nvidia_driver\.version at 16:20\)/);
  assert.match(errors[1].hint!, /set it to '570\.172\.08' or remove it/);
});

test('an override for a node the inventory does not have is E_CONFIG_NODE at its key', () => {
  const errors = thrown(() => configInventory(loadClean(HV), nodesInventory('pve1', 'pve3'), { node: 'pve1' }));
  assert.equal(errors.map((e) => [e.code, e.jsonPath, e.pos?.line]), [
    ['E_CONFIG_NODE', '$.lxc_configs["910"].node', 6],
    ['E_CONFIG_NODE', '$.lxc_configs["960"].node', 7],
    ['E_CONFIG_NODE', '$.nodes.pve2', 14],
  ]);
  assert.match(errors[2].message, /nodes\.pve2 overrides the driver of 'pve2', which is not a host of inventory group proxmox/);
  assert.is(errors[2].hint, 'known nodes: pve1, pve3');
});

test('bad overrides: every problem at its own key (schema, typo, formats, URL against the version each ends up with)', () => {
  const { errors } = load('node-drivers/bad-overrides.json');
  assert.equal(errorSummary(errors).sort(), [
    'E_CONFIG_CUDA_VERSION $.nodes.pve4.nvidia_driver.cuda_version node-drivers/bad-overrides.json:11:93',
    'E_CONFIG_DRIVER_VERSION $.nodes.pve4.nvidia_driver.version node-drivers/bad-overrides.json:11:45',
    'E_CONFIG_SHA256 $.nodes.pve4.nvidia_driver.runfile_sha256 node-drivers/bad-overrides.json:11:70',
    'E_CONFIG_TYPE $.nodes.pve5 node-drivers/bad-overrides.json:12:13',
    'E_CONFIG_UNKNOWN_KEY $.nodes.pve6.nvidia_drivre node-drivers/bad-overrides.json:13:15',
    'E_CONFIG_URL_VERSION $.nodes.pve2.nvidia_driver.version node-drivers/bad-overrides.json:9:45',
    'E_CONFIG_URL_VERSION $.nodes.pve3.nvidia_driver.runfile_url node-drivers/bad-overrides.json:10:49',
  ]);
  const inherited = errors.errors.find((e) => e.jsonPath === '$.nodes.pve2.nvidia_driver.version')!;
  assert.match(inherited.message, /\$\.nodes\.pve2\.nvidia_driver\.version is 570\.172\.08 but the runfile_url it inherits, \$\.nvidia_driver\.runfile_url \(line 5\), names version 580\.76\.05/);
  assert.match(inherited.hint!, /give \$\.nodes\.pve2\.nvidia_driver its own runfile_url for 570\.172\.08/);
  const own = errors.errors.find((e) => e.jsonPath === '$.nodes.pve3.nvidia_driver.runfile_url')!;
  assert.match(own.message, /names version 570\.172\.08 \(file name\) and 570\.172\.08 \(directory\) but \$\.nvidia_driver\.version is 580\.76\.05/);
});

test('--graph names each node\'s driver when a node has its own', () => {
  const config = loadClean(HV);
  const placed: Record<number, string> = { 900: 'pve1', 901: 'pve1', 910: 'pve2', 960: 'pve2' };
  const tree = renderCloneTree(config, { nodeOf: (ctid) => placed[ctid] });
  assert.match(tree, /^pve1 {2}driver: 580\.76\.05$/m);
  assert.match(tree, /^pve2 {2}driver: 570\.172\.08 \(nodes\.pve2\)$/m);
  assert.not.match(loadCleanTree(), /driver:/);
});

function loadCleanTree(): string {
  return renderCloneTree(loadClean('example/phoenix_hypervisor_config.json'), { node: 'pve1' });
}

test.run();
