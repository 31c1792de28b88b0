import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PhoenixError } from '../../../interpreter/errors.js';
import { KNOWN_KEYS } from '../../../interpreter/config/schema.js';
import { configInventory } from '../../../interpreter/config/index.js';
import { emptyInventory, ensureHost, reconcileInventory } from '../../../interpreter/inventory/graph.js';
import { groupHosts, hostVars, magicVars, selectHosts, type Inventory } from '../../../interpreter/inventory/index.js';
import { EXAMPLE, errorSummary, fixture, load, loadClean, nodesInventory, thrown } from './support.js';

/** An inventory with the node pve1 in group proxmox, as the YAML inventory gives it, plus the example containers. */
function exampleInventory(): { inv: Inventory; node: string } {
  const inv = emptyInventory();
  ensureHost(inv, 'pve1', 'proxmox');
  reconcileInventory(inv);
  const node = configInventory(loadClean(EXAMPLE), inv);
  return { inv, node };
}

test('one host per container, ct<CTID>, after the node; the only proxmox host is the node by default', () => {
  const { inv, node } = exampleInventory();
  assert.is(node, 'pve1');
  assert.equal([...inv.hosts.keys()], ['pve1', 'ct900', 'ct901', 'ct902', 'ct903', 'ct950']);
  assert.is(inv.hosts.get('ct901')!.source, fixture('example/phoenix_lxc_configs.json'));
  assert.equal(inv.hosts.get('ct901')!.pos, { file: fixture('example/phoenix_lxc_configs.json'), line: 19, column: 5 });
});

test('groups: lxc (all), templates (with a snapshot name), gpu (not none), feature_<name>', () => {
  const { inv } = exampleInventory();
  const groups = Object.fromEntries([...inv.groups.keys()].map((g) => [g, groupHosts(inv, g)]));
  assert.equal(groups, {
    all: ['pve1', 'ct900', 'ct901', 'ct902', 'ct903', 'ct950'],
    ungrouped: [],
    proxmox: ['pve1'],
    lxc: ['ct900', 'ct901', 'ct902', 'ct903', 'ct950'],
    templates: ['ct900', 'ct901', 'ct902', 'ct903'],
    gpu: ['ct901', 'ct903', 'ct950'],
    feature_base_setup: ['ct900'],
    feature_nvidia: ['ct901'],
    feature_docker: ['ct902', 'ct903'],
  });
  assert.equal(inv.groups.get('all')!.children, ['ungrouped', 'proxmox', 'lxc', 'templates', 'gpu', 'feature_base_setup', 'feature_nvidia', 'feature_docker']);
  assert.equal(magicVars(inv, 'ct903').group_names, ['feature_docker', 'gpu', 'lxc', 'templates']);
});

test('container host vars: pct connection through the node, vmid, the whole config under lxc, GPU indexes, clone depth', () => {
  const { inv } = exampleInventory();
  const vars = hostVars(inv, 'ct903');
  assert.is(vars.ansible_connection, 'pct');
  assert.is(vars.proxmox_vmid, 903);
  assert.is(vars.proxmox_node, 'pve1');
  assert.equal(vars.gpu_indexes, [0, 1]);
  assert.is(vars.phoenix_clone_depth, 2);
  assert.equal(vars.lxc, {
    name: 'Template-Docker-GPU',
    memory_mb: 2048,
    cores: 2,
    storage_pool: 'local-lvm',
    storage_size_gb: 32,
    network_config: { name: 'eth0', bridge: 'vmbr0', ip: '10.0.0.203/24', gw: '10.0.0.1' },
    gpu_assignment: '0,1',
    unprivileged: true,
    clone_from_ctid: '901',
    features: ['docker'],
    template_snapshot_name: 'pre-configured',
    gpu_passthrough_style: 'auto',
  });
  const depths = ['ct900', 'ct901', 'ct902', 'ct903', 'ct950'].map((h) => [h, hostVars(inv, h).phoenix_clone_depth, hostVars(inv, h).gpu_indexes]);
  assert.equal(depths, [['ct900', 0, []], ['ct901', 1, [0, 1]], ['ct902', 1, []], ['ct903', 2, [0, 1]], ['ct950', 3, [0]]]);
  assert.is((hostVars(inv, 'ct900').lxc as { template: string }).template, '/var/lib/vz/template/cache/ubuntu-24.04-standard_24.04-2_amd64.tar.zst');
  assert.is(hostVars(inv, 'pve1').ansible_connection, undefined, 'the node is untouched');
});

test('the node\'s phoenix_gpu_containers: its GPU containers in clone order, with whether they get the driver\'s user space', () => {
  const { inv } = exampleInventory();
  assert.equal(hostVars(inv, 'pve1').phoenix_gpu_containers, [
    { host: 'ct901', vmid: 901, nvidia: true },
    { host: 'ct903', vmid: 903, nvidia: true },
    { host: 'ct950', vmid: 950, nvidia: true },
  ], '950 inherits nvidia from 901 through 903');
});

test('gpu_passthrough_style: auto when neither file sets it, else the hypervisor file\'s, unless the container sets its own', () => {
  const { inv } = exampleInventory();
  assert.is((hostVars(inv, 'ct950').lxc as { gpu_passthrough_style: string }).gpu_passthrough_style, 'auto');
  const config = loadClean('passthrough/phoenix_hypervisor_config.json');
  assert.is(config.gpuPassthroughStyle, 'devN');
  const own = emptyInventory();
  ensureHost(own, 'pve1', 'proxmox');
  configInventory(config, own);
  const style = (host: string) => (hostVars(own, host).lxc as { gpu_passthrough_style: string }).gpu_passthrough_style;
  assert.equal(['ct900', 'ct901', 'ct902'].map(style), ['devN', 'devN', 'raw']);
  assert.is(config.containers.get(901)!.config.gpu_passthrough_style, undefined, 'the configuration itself is as written');
});

test('all vars: the nvidia_driver block as nvidia, the cache dir, the clone order (parents first, ties by CTID)', () => {
  const { inv } = exampleInventory();
  const vars = hostVars(inv, 'ct950');
  assert.equal(vars.nvidia, {
    install: true,
    version: '580.76.05',
    runfile_url: 'https://us.download.nvidia.com/XFree86/Linux-x86_64/580.76.05/NVIDIA-Linux-x86_64-580.76.05.run',
    runfile_sha256: null,
    cuda_version: '12.8',
  });
  assert.is(vars.phoenix_cache_dir, '/usr/local/phoenix_hypervisor/cache');
  assert.equal(vars.phoenix_clone_order, [900, 901, 902, 903, 950]);
  assert.is(vars.phoenix_reboot_after_driver_install, false);
  assert.is(vars.nvidia_repo_url, 'https://developer.download.nvidia.com/compute/cuda/repos/ubuntu2404/x86_64/');
  assert.equal(vars.nvidia_container_toolkit, {
    repo_url: 'https://nvidia.github.io/libnvidia-container/stable/deb/amd64/',
    key_url: 'https://nvidia.github.io/libnvidia-container/gpgkey',
    version: null,
    packages: ['nvidia-container-toolkit', 'nvidia-container-toolkit-base', 'libnvidia-container-tools', 'libnvidia-container1'],
    docker_gpu_image: null,
  });
  assert.equal(hostVars(inv, 'pve1').nvidia, vars.nvidia, 'the node sees them too');
  assert.equal(inv.groups.get('all')!.varPositions.nvidia, { file: fixture(EXAMPLE), line: 7, column: 3 });
});

test('host vars are copies: changing one host\'s lxc changes neither the config nor another host', () => {
  const inv = emptyInventory();
  ensureHost(inv, 'pve1', 'proxmox');
  const config = loadClean(EXAMPLE);
  configInventory(config, inv);
  (inv.hosts.get('ct901')!.vars.lxc as { features: string[] }).features.push('extra');
  assert.equal(config.containers.get(901)!.config.features, ['nvidia']);
});

/** `--limit` and play `hosts:` patterns over the example's hosts. */
const PATTERNS: Array<[string, string[]]> = [
  ['ct901', ['ct901']],
  ['ct9*', ['ct900', 'ct901', 'ct902', 'ct903', 'ct950']],
  ['ct903,ct950', ['ct903', 'ct950']],
  ['lxc:!templates', ['ct950']],
  ['gpu:&templates', ['ct901', 'ct903']],
  ['feature_nvidia', ['ct901']],
  ['feature_docker:!gpu', ['ct902']],
  ['~ct90[0-2]', ['ct900', 'ct901', 'ct902']],
  ['proxmox:ct950', ['pve1', 'ct950']],
  ['templates[0]', ['ct900']],
  ['lxc[-1]', ['ct950']],
  ['all:!lxc', ['pve1']],
];

for (const [pattern, hosts] of PATTERNS) {
  test(`pattern ${pattern}`, () => {
    assert.equal(selectHosts(exampleInventory().inv, pattern), hosts);
  });
}

test('node: named explicitly, or refused when unknown, missing or ambiguous (E_CONFIG_NODE)', () => {
  const config = loadClean(EXAMPLE);
  const withNodes = (...names: string[]): Inventory => {
    const inv = emptyInventory();
    for (const n of names) ensureHost(inv, n, 'proxmox');
    return inv;
  };
  const two = withNodes('pve1', 'pve2');
  assert.is(configInventory(config, two, { node: 'pve2' }), 'pve2');
  assert.is(hostVars(two, 'ct901').proxmox_node, 'pve2');
  const code = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (e) {
      return (e as PhoenixError).code;
    }
    return undefined;
  };
  assert.is(code(() => configInventory(config, withNodes('pve1', 'pve2'))), 'E_CONFIG_NODE');
  assert.is(code(() => configInventory(config, withNodes())), 'E_CONFIG_NODE');
  assert.is(code(() => configInventory(config, withNodes('pve1'), { node: 'pve9' })), 'E_CONFIG_NODE');
});

test('a configuration without containers still makes lxc, templates and gpu, so plays can target them', () => {
  const inv = emptyInventory();
  ensureHost(inv, 'pve1', 'proxmox');
  configInventory(loadClean(EXAMPLE, { lxc: 'good/empty-lxc.json' }), inv);
  for (const group of ['lxc', 'templates', 'gpu']) assert.equal(groupHosts(inv, group), [], group);
  assert.equal(hostVars(inv, 'pve1').phoenix_clone_order, []);
});

test.run();

/** Issue 14: containers placed on nodes by their own "node" key. */
test('"node": a container goes to its own node; one without it to phoenix_node or the only proxmox host', () => {
  const config = loadClean(EXAMPLE, { lxc: 'lxc/nodes-good.json' });
  const inv = nodesInventory('pve1', 'pve2');
  configInventory(config, inv, { node: 'pve1' });
  assert.is(hostVars(inv, 'ct900').proxmox_node, 'pve2');
  assert.is(hostVars(inv, 'ct901').proxmox_node, 'pve2');
  assert.is(hostVars(inv, 'ct950').proxmox_node, 'pve1');
  assert.is((hostVars(inv, 'ct900').lxc as { node: string }).node, 'pve2');
});

test('"node": several proxmox hosts and no phoenix_node: E_CONFIG_NODE at the container without "node"', () => {
  const config = loadClean(EXAMPLE, { lxc: 'lxc/nodes-good.json' });
  const [error, ...rest] = thrown(() => configInventory(config, nodesInventory('pve1', 'pve2')));
  assert.is(rest.length, 0);
  assert.is(error.code, 'E_CONFIG_NODE');
  assert.equal(error.pos, { file: fixture('lxc/nodes-good.json'), line: 10, column: 5 });
  assert.match(error.message, /container 950 at .*nodes-good\.json:10:5 has no "node"/);
  assert.match(error.hint!, /"node": "<node>"/);
});

test('"node": unknown node (E_CONFIG_NODE) and clone on another node than its parent (E_CONFIG_CLONE_NODE), collected', () => {
  const config = loadClean(EXAMPLE, { lxc: 'lxc/nodes-bad.json' });
  const errors = thrown(() => configInventory(config, nodesInventory('pve1', 'pve2'), { node: 'pve2' }));
  const file = fixture('lxc/nodes-bad.json');
  assert.equal(errors.map((e) => [e.code, e.jsonPath, e.pos]), [
    ['E_CONFIG_NODE', '$.lxc_configs["950"].node', { file, line: 11, column: 116 }],
    ['E_CONFIG_CLONE_NODE', '$.lxc_configs["901"].node', { file, line: 9, column: 57 }],
    ['E_CONFIG_CLONE_NODE', '$.lxc_configs["902"]', { file, line: 10, column: 5 }],
  ]);
  assert.match(errors[0].message, /nodes-bad\.json: container 950's node 'pve9' is not a host of inventory group proxmox/);
  assert.is(errors[0].hint, 'known nodes: pve1, pve2');
  assert.match(errors[1].message, /container 901 on node pve2 clones 900, which is on node pve1/);
  assert.match(errors[1].hint!, /put container 901 on node pve1, or give node pve2 its own template chain/);
  assert.match(errors[2].message, /container 902 on node pve2 clones 900, which is on node pve1/);
});

test('"node" must be a non-empty string (schema), and is a known container key', () => {
  assert.ok(KNOWN_KEYS.container.includes('node'));
  assert.equal(errorSummary(load(EXAMPLE, { lxc: 'lxc/node-empty.json' }).errors), ['E_CONFIG_SCHEMA $.lxc_configs["950"].node lxc/node-empty.json:3:124']);
});
