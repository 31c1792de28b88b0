import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorList } from '../../../interpreter/errors.js';
import { applyPhoenixConfig, type ApplyPhoenixConfigOptions } from '../../../interpreter/config/index.js';
import { groupHosts, hostVars, loadInventory, renderInventoryGraph, selectHosts } from '../../../interpreter/inventory/index.js';
import { EXAMPLE, FEATURES, errorSummary, fixture } from './support.js';

/** What the CLI does: load the YAML inventory, then the JSON configuration it points at. */
function open(sources: string[], options: ApplyPhoenixConfigOptions = {}) {
  const errors = new ErrorList();
  const inv = loadInventory(sources.map(fixture), {}, errors);
  const applied = applyPhoenixConfig(inv, errors, options);
  return { inv, errors, applied };
}

test('all: vars: phoenix_config (relative to the inventory file) brings the containers in', () => {
  const { inv, errors, applied } = open(['inventory/hosts.yml'], { checkFeatures: true, gpuCount: 2 });
  assert.equal(errorSummary(errors), []);
  assert.is(applied!.node, 'pve1');
  assert.is(applied!.config.hypervisorFile, fixture(EXAMPLE));
  assert.equal(groupHosts(inv, 'lxc'), ['ct900', 'ct901', 'ct902', 'ct903', 'ct950']);
  assert.equal(selectHosts(inv, 'ct9*:&gpu:!ct950'), ['ct901', 'ct903']);
  assert.is(hostVars(inv, 'ct901').proxmox_node, 'pve1');
  assert.is(hostVars(inv, 'pve1').ansible_host, '192.0.2.10');
  assert.is(renderInventoryGraph(inv, 'gpu'), '@gpu:\n  |--ct901\n  |--ct903\n  |--ct950');
});

test('host_vars/ and group_vars/ beside the inventory apply to the containers and their groups', () => {
  const { inv, errors } = open(['inventory/hosts.yml']);
  assert.equal(errorSummary(errors), []);
  assert.is(hostVars(inv, 'ct950').worker_note, 'from host_vars');
  assert.equal(['ct900', 'ct901', 'ct903', 'ct950'].map((h) => hostVars(inv, h).gpu_note), [undefined, 'from group_vars', 'from group_vars', 'from group_vars']);
});

test('phoenix_config in group_vars/all.yml is relative to that file', () => {
  const { inv, errors, applied } = open(['inventory-group-vars/hosts.yml']);
  assert.equal(errorSummary(errors), []);
  assert.is(applied!.config.hypervisorFile, fixture('good/phoenix_hypervisor_config.json'));
  assert.equal(groupHosts(inv, 'lxc'), ['ct100', 'ct120', 'ct101'], 'containers by clone level, then CTID');
});

test('without phoenix_config, phoenix_hypervisor_config.json in the inventory folder (ignored as an inventory file)', () => {
  const errors = new ErrorList();
  const inv = loadInventory([fixture('inventory-dir')], { ignore: ['phoenix_*.json'] }, errors);
  const applied = applyPhoenixConfig(inv, errors);
  assert.equal(errorSummary(errors), []);
  assert.is(applied!.config.hypervisorFile, fixture('inventory-dir/phoenix_hypervisor_config.json'));
  assert.equal(groupHosts(inv, 'templates'), ['ct900', 'ct901', 'ct902', 'ct903']);
  const beside = open(['inventory-dir/hosts.yml']);
  assert.is(beside.applied!.config.lxcFile, fixture('inventory-dir/phoenix_lxc_configs.json'));
});

test('phoenix_node picks the node when group proxmox has several', () => {
  const { inv, errors, applied } = open(['inventory-two-nodes/hosts.yml']);
  assert.equal(errorSummary(errors), []);
  assert.is(applied!.node, 'pve2');
  assert.is(hostVars(inv, 'ct950').proxmox_node, 'pve2');
});

test('an explicit config path and node win over the inventory\'s', () => {
  const { inv, applied } = open(['inventory-two-nodes/hosts.yml'], { config: fixture('good/phoenix_hypervisor_config.json'), node: 'pve1' });
  assert.is(applied!.node, 'pve1');
  assert.equal(groupHosts(inv, 'lxc'), ['ct100', 'ct120', 'ct101'], 'containers by clone level, then CTID');
});

test('a container the inventory already lists keeps its own variables and groups, and gets the rest', () => {
  const { inv, errors } = open(['inventory-existing-host/hosts.yml']);
  assert.equal(errorSummary(errors), []);
  const vars = hostVars(inv, 'ct901');
  assert.is(vars.proxmox_node, 'pve1-lab');
  assert.is(vars.lab_note, 'kept');
  assert.is(vars.proxmox_vmid, 901);
  assert.equal(inv.hosts.get('ct901')!.groups, ['lab', 'lxc', 'templates', 'gpu', 'feature_nvidia']);
});

test('an inventory without phoenix_config is left alone', () => {
  const { inv, errors, applied } = open(['inventory-errors/plain.yml']);
  assert.is(applied, undefined);
  assert.equal(errorSummary(errors), []);
  assert.equal([...inv.hosts.keys()], ['pve1']);
});

/** Inventories that point at a configuration wrongly, or at a wrong one: every error, with its place. */
const ERRORS: Record<string, string[]> = {
  'inventory-errors/bad-ref.yml': ['E_CONFIG_REF - inventory-errors/bad-ref.yml:3:5'],
  'inventory-errors/missing.yml': ['E_CONFIG_MISSING - inventory-errors/missing.yml:3:5'],
  'inventory-errors/no-node.yml': ['E_CONFIG_NODE - inventory-errors/no-node.yml:3:5'],
  'inventory-errors/unknown-node.yml': ['E_CONFIG_NODE - inventory-errors/unknown-node.yml:4:5'],
  'inventory-conflict/hosts.yml': [
    'E_CONFIG_VAR_CONFLICT - inventory-conflict/hosts.yml:9:9',
    'E_CONFIG_VAR_CONFLICT - inventory-conflict/host_vars/ct901.yml:1:1',
  ],
  'inventory-errors/bad-config.yml': [
    'E_CONFIG_SHA256 $.nvidia_driver.runfile_sha256 hv/problems-in-both-files.json:11:23',
    'E_CONFIG_TYPE $.lxc_configs["900"].memory_mb lxc/many-problems.json:10:20',
    'E_CONFIG_MISMATCH $.nvidia_driver_version lxc/many-problems.json:2:28',
    'E_CONFIG_CTID $.lxc_configs["42"] lxc/many-problems.json:26:5',
    'E_CONFIG_GPU_ASSIGNMENT $.lxc_configs["900"].gpu_assignment lxc/many-problems.json:7:25',
    'E_CONFIG_CLONE_CYCLE $.lxc_configs["901"].clone_from_ctid lxc/many-problems.json:14:26',
  ],
};

for (const [source, expected] of Object.entries(ERRORS)) {
  test(`inventory ${source}: ${expected.map((e) => e.split(' ')[0]).join(', ')}; no container is added`, () => {
    const { inv, errors, applied } = open([source]);
    assert.equal(errorSummary(errors), expected);
    assert.is(applied, undefined);
    assert.not.ok([...inv.hosts.keys()].some((h) => h.startsWith('ct') && !inv.hosts.get(h)!.groups.includes('lab')));
    for (const e of errors.errors) assert.is(e.exitCode, 4);
  });
}

test.run();
