import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderInventoryGraph, renderInventoryHost, renderInventoryList } from '../../../interpreter/inventory/index.js';
import { expected, loadClean } from './support.js';

// ansible-inventory prints these with a final newline; phoenix's CLI adds it when writing.
const cases: Array<[string, string[], string[], (inv: ReturnType<typeof loadClean>) => string]> = [
  ['lab.list.json', ['lab/hosts.yml'], [], renderInventoryList],
  ['lab.graph.txt', ['lab/hosts.yml'], [], (inv) => renderInventoryGraph(inv)],
  ['lab.graph-lxc.txt', ['lab/hosts.yml'], [], (inv) => renderInventoryGraph(inv, 'lxc')],
  ['lab.host-pve1.json', ['lab/hosts.yml'], [], (inv) => renderInventoryHost(inv, 'pve1')],
  ['vars.list.json', ['vars/inventory/hosts.yml'], [], renderInventoryList],
  ['vars-playbook.list.json', ['vars/inventory/hosts.yml'], ['vars/playbook'], renderInventoryList],
  ['vars-playbook.host-h1.json', ['vars/inventory/hosts.yml'], ['vars/playbook'], (inv) => renderInventoryHost(inv, 'h1')],
  ['multi.list.json', ['multi'], [], renderInventoryList],
  ['multi.graph.txt', ['multi'], [], (inv) => renderInventoryGraph(inv)],
  ['two-sources.list.json', ['lab/hosts.yml', 'multi/20-containers.yaml'], [], renderInventoryList],
  ['string-sections.graph.txt', ['string-sections.yml'], [], (inv) => renderInventoryGraph(inv)],
  ['ranges.list.json', ['ranges.yml'], [], renderInventoryList],
  ['merge.list.json', ['merge.yml'], [], renderInventoryList],
];

for (const [file, sources, varsDirs, render] of cases) {
  test(`byte for byte like ansible-inventory: ${file}`, () => {
    const inv = loadClean(sources, { varsDirs });
    assert.fixture(`${render(inv)}\n`, expected(file));
  });
}

test('--graph of something that is not a group is E_INVENTORY_GROUP, exit 5 as ansible-inventory', () => {
  const inv = loadClean(['lab/hosts.yml']);
  assert.throws(() => renderInventoryGraph(inv, 'pve1'), (e: { code?: string; exitCode?: number }) => e.code === 'E_INVENTORY_GROUP' && e.exitCode === 5);
});

test('--host needs exactly one host: a group is E_INVENTORY_HOST, exit 5', () => {
  const inv = loadClean(['lab/hosts.yml']);
  assert.throws(() => renderInventoryHost(inv, 'lxc'), (e: { code?: string; exitCode?: number }) => e.code === 'E_INVENTORY_HOST' && e.exitCode === 5);
  assert.throws(() => renderInventoryHost(inv, 'nomatch'), (e: { code?: string }) => e.code === 'E_INVENTORY_HOST');
});

test('--list leaves out empty groups but keeps them in their parent\'s children, and hosts without variables', () => {
  const inv = loadClean(['string-sections.yml']);
  const list = JSON.parse(renderInventoryList(inv)) as Record<string, unknown>;
  assert.equal(list.all, { children: ['ungrouped', 'web'] });
  assert.not.ok('ungrouped' in list);
  assert.equal(list._meta, { hostvars: {} });
});

test.run();
