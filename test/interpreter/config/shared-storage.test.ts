import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KNOWN_KEYS } from '../../../interpreter/config/schema.js';
import { configInventory } from '../../../interpreter/config/index.js';
import { rootfsStorage } from '../../../interpreter/config/check-nodes.js';
import { hostVars } from '../../../interpreter/inventory/index.js';
import { errorSummary, fixture, load, loadClean, nodesInventory, thrown } from './support.js';

/** Issue 14: a template chain on shared storage (`shared_storage`) may have clones on other nodes (pct clone --target). */
const HV = 'shared-storage/phoenix_hypervisor_config.json';

test('shared_storage: read as a list, a known hypervisor key', () => {
  assert.equal(loadClean(HV).sharedStorage, ['cephpool']);
  assert.ok(KNOWN_KEYS.hypervisor.includes('shared_storage'));
  assert.equal(loadClean('example/phoenix_hypervisor_config.json').sharedStorage, []);
});

test('shared_storage: a string instead of a list and a near-miss key, each with its position', () => {
  assert.equal(errorSummary(load('shared-storage/not-a-list.json').errors), ['E_CONFIG_TYPE $.shared_storage shared-storage/not-a-list.json:11:21']);
  assert.equal(errorSummary(load('shared-storage/typo.json').errors), ['E_CONFIG_UNKNOWN_KEY $.shared_storages shared-storage/typo.json:11:3']);
});

test('a clone on another node than its parent on shared storage: allowed, phoenix_clone_node names the parent\'s node', () => {
  const config = loadClean(HV);
  const inv = nodesInventory('pve1', 'pve2');
  configInventory(config, inv);
  assert.is(rootfsStorage(config, 960), 'cephpool');
  assert.is(hostVars(inv, 'ct960').proxmox_node, 'pve2');
  assert.is(hostVars(inv, 'ct960').phoenix_clone_node, 'pve1');
  assert.is(hostVars(inv, 'ct950').phoenix_clone_node, 'pve1');
  assert.is(hostVars(inv, 'ct950').proxmox_node, 'pve1');
  assert.is(hostVars(inv, 'ct900').phoenix_clone_node, undefined);
  // The GPU containers of a node are the ones on it: the clone's node rolls it.
  assert.equal((hostVars(inv, 'pve2').phoenix_gpu_containers as unknown[]).length, 0);
});

test('the storage that decides is the chain root\'s (a clone stays on its source\'s storage), default local-lvm', () => {
  const errors = thrown(() => configInventory(loadClean(HV, { lxc: 'shared-storage/local-clone.json' }), nodesInventory('pve1', 'pve2')));
  const file = fixture('shared-storage/local-clone.json');
  // 960's own storage_pool says local-lvm, but it is cloned from 900 on cephpool (shared): allowed.
  // 961 says cephpool, but its parent 910 is on the default local-lvm: refused at its node key.
  assert.equal(errors.map((e) => [e.code, e.jsonPath, e.pos]), [
    ['E_CONFIG_CLONE_NODE', '$.lxc_configs["961"].node', { file, line: 17, column: 88 }],
  ]);
  assert.match(errors[0].message, /container 961 on node pve2 clones 910, which is on node pve1 with its rootfs on storage 'local-lvm', not listed in shared_storage/);
  assert.match(errors[0].hint!, /list it in "shared_storage" of .*shared-storage\/phoenix_hypervisor_config\.json \(pct clone --target\)/);
  assert.match(errors[0].hint!, /put container 961 on node pve1, or give node pve2 its own template chain/);
});

test('without shared_storage the same chain is refused: E_CONFIG_CLONE_NODE stays the default', () => {
  const errors = thrown(() => configInventory(loadClean('example/phoenix_hypervisor_config.json', { lxc: 'shared-storage/phoenix_lxc_configs.json' }), nodesInventory('pve1', 'pve2')));
  assert.equal(errors.map((e) => [e.code, e.jsonPath]), [['E_CONFIG_CLONE_NODE', '$.lxc_configs["960"].node']]);
  assert.match(errors[0].message, /storage 'cephpool', not listed in shared_storage/);
});

test('a clone on another node must find the same driver there (E_CONFIG_CLONE_DRIVER), or it would reinstall its user space', () => {
  const config = loadClean(HV);
  config.nodeDrivers.set('pve2', { ...config.nvidia, version: '570.172.08' });
  const errors = thrown(() => configInventory(config, nodesInventory('pve1', 'pve2')));
  assert.equal(errors.map((e) => [e.code, e.jsonPath]), [['E_CONFIG_CLONE_DRIVER', '$.lxc_configs["960"].node']]);
  assert.match(errors[0].message, /container 960 on node pve2 \(driver 570\.172\.08, .*\) clones 901 on node pve1 \(driver 580\.76\.05\)/);
  assert.match(errors[0].hint!, /give node pve2 the same driver as pve1, or its own template chain/);
});

test.run();
