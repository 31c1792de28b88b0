import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderCloneTree } from '../../../interpreter/config/index.js';
import { EXAMPLE, loadClean } from './support.js';

test('the clone tree of the example under its node, exactly', () => {
  assert.is(renderCloneTree(loadClean(EXAMPLE), { node: 'pve1' }), [
    'pve1',
    '└── 900 Template-Base (template: pre-configured) gpus: none  features: base_setup',
    '    ├── 901 Template-GPU (template: pre-configured) gpus: 0,1  features: nvidia',
    '    │   └── 903 Template-Docker-GPU (template: pre-configured) gpus: 0,1  features: docker',
    '    │       └── 950 cuda-worker gpus: 0  features: none',
    '    └── 902 Template-Docker (template: pre-configured) gpus: none  features: docker',
  ].join('\n'));
});

test('several roots sorted by CTID, feature lists, no snapshot name, no node given', () => {
  assert.is(renderCloneTree(loadClean('good/phoenix_hypervisor_config.json')), [
    'proxmox',
    '├── 100 base (template: golden_1) gpus: none  features: none',
    '│   └── 101 clone-a gpus: none  features: none',
    '└── 120 vllm.lab.example gpus: 1,0  features: base_setup,nvidia,docker',
  ].join('\n'));
});

test('no containers: the node alone', () => {
  assert.is(renderCloneTree(loadClean(EXAMPLE, { lxc: 'good/empty-lxc.json' }), { node: 'pve1' }), 'pve1');
});

test('two nodes: each clone tree under the node of its root container', () => {
  const config = loadClean(EXAMPLE);
  const onSecond = new Set([902]);
  // 902 stands alone on pve2 here (a clone must be on its parent's node; the config check enforces that, not this).
  config.containers.get(902)!.parent = undefined;
  assert.is(renderCloneTree(config, { node: 'pve1', nodeOf: (ctid) => (onSecond.has(ctid) ? 'pve2' : 'pve1') }), [
    'pve1',
    '└── 900 Template-Base (template: pre-configured) gpus: none  features: base_setup',
    '    └── 901 Template-GPU (template: pre-configured) gpus: 0,1  features: nvidia',
    '        └── 903 Template-Docker-GPU (template: pre-configured) gpus: 0,1  features: docker',
    '            └── 950 cuda-worker gpus: 0  features: none',
    'pve2',
    '└── 902 Template-Docker (template: pre-configured) gpus: none  features: docker',
  ].join('\n'));
});

test.run();
