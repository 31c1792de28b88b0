import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { errorSummary, fixture, load, loadClean } from './support.js';

test('nested groups: parents, children, depth and first-appearance host order', () => {
  const inv = loadClean(['lab/hosts.yml']);
  assert.equal([...inv.hosts.keys()], [
    'bastion', '10.0.0.5', 'pve1', 'pve2', 'ct900', 'ct901', 'ct902', 'ct903', 'ct910',
    'web1.example.com', 'web2.example.com', 'web10.example.com', 'db1',
  ]);
  assert.equal([...inv.groups.keys()], ['all', 'ungrouped', 'proxmox', 'lxc', 'templates', 'gpu', 'web', 'db', 'empty']);
  const lxc = inv.groups.get('lxc')!;
  assert.equal(lxc.children, ['templates', 'gpu']);
  assert.equal(lxc.hosts, ['ct903', 'ct910']);
  assert.equal(inv.groups.get('gpu')!.parents, ['lxc']);
  assert.equal(inv.groups.get('gpu')!.depth, 2);
  assert.equal(lxc.depth, 1);
  assert.equal(inv.groups.get('all')!.depth, 0);
});

test('a host in several groups keeps one entry, listed in each group', () => {
  const inv = loadClean(['lab/hosts.yml']);
  assert.equal(inv.hosts.get('web1.example.com')!.groups, ['web', 'db']);
  assert.equal(inv.hosts.get('web1.example.com')!.vars, { role: 'primary' });
});

test('ungrouped holds the hosts in no group but all; all lists ungrouped first', () => {
  const inv = loadClean(['lab/hosts.yml']);
  assert.equal(inv.groups.get('ungrouped')!.hosts, ['bastion', '10.0.0.5']);
  assert.equal(inv.groups.get('all')!.children[0], 'ungrouped');
  assert.equal(inv.groups.get('all')!.hosts, ['bastion', '10.0.0.5']);
});

test('positions: hosts, groups and variables point at their keys', () => {
  const inv = loadClean(['lab/hosts.yml']);
  const file = fixture('lab/hosts.yml');
  assert.equal(inv.hosts.get('pve1')!.pos, { file, line: 11, column: 9 });
  assert.equal(inv.hosts.get('pve1')!.varPositions.ansible_host, { file, line: 12, column: 11 });
  assert.equal(inv.groups.get('gpu')!.pos, { file, line: 19, column: 9 });
  assert.equal(inv.groups.get('all')!.pos, { file, line: 2, column: 1 });
  assert.equal(inv.groups.get('gpu')!.varPositions.gpu, { file, line: 24, column: 13 });
  assert.equal(inv.hosts.get('pve1')!.source, file);
});

test('a directory source: every yml/yaml/json file, sorted, recursively, skipping host_vars/group_vars and other files', () => {
  const inv = loadClean(['multi']);
  assert.equal([...inv.hosts.keys()], ['pve1', 'ct901', 'loose']);
  assert.equal([...inv.groups.keys()], ['all', 'ungrouped', 'proxmox', 'lxc', 'gpu']);
  assert.equal(inv.hosts.get('ct901')!.vars, { ansible_connection: 'pct', proxmox_vmid: 901, proxmox_node: 'pve1' });
  assert.equal(inv.groups.get('proxmox')!.vars, { from_json: true });
});

test('ignore skips matching entries of directory sources (for the JSON config kept beside the inventory)', () => {
  const inv = loadClean(['multi'], { ignore: ['*.json', 'sub'] });
  assert.equal([...inv.hosts.keys()], ['pve1', 'ct901']);
  assert.not.ok(inv.groups.has('gpu'));
});

test('several sources merge into one inventory, in order', () => {
  const inv = loadClean(['multi/20-containers.yaml', 'multi/10-nodes.yml']);
  assert.equal([...inv.hosts.keys()], ['ct901', 'pve1']);
  assert.equal(inv.hosts.get('pve1')!.groups, ['lxc', 'proxmox']);
});

test('YAML 1.1 scalars as in Ansible: yes is true', () => {
  const inv = loadClean(['vars/inventory/hosts.yml']);
  assert.equal(inv.varsLayers[0].groupVars.get('all')!.vars.file_all, true);
});

test('a missing source is E_INVENTORY_MISSING with exit code 1; the other sources still load', () => {
  const { inv, errors } = load(['does-not-exist.yml', 'lab/hosts.yml']);
  assert.equal(errors.errors.map((e) => [e.code, e.exitCode]), [['E_INVENTORY_MISSING', 1]]);
  assert.ok(inv.hosts.has('pve1'));
});

test('unknown keys under a group: E_INVENTORY_KEY at each key, all collected', () => {
  const { errors } = load(['errors/unknown-key.yml']);
  assert.equal(errorSummary(errors), ['E_INVENTORY_KEY errors/unknown-key.yml:6:7', 'E_INVENTORY_KEY errors/unknown-key.yml:8:7']);
  assert.ok(errors.errors.every((e) => e.exitCode === 4));
});

test('a group that is its own ancestor: E_INVENTORY_CYCLE where the loop closes, the edge left out', () => {
  const { inv, errors } = load(['errors/cycle.yml']);
  assert.equal(errorSummary(errors), [
    'E_INVENTORY_CYCLE errors/cycle.yml:5:9',
    'E_INVENTORY_CYCLE errors/cycle.yml:10:9',
    'E_INVENTORY_CYCLE errors/cycle.yml:13:9',
  ]);
  assert.equal(inv.groups.get('b')!.children, ['a']);
  assert.equal(inv.groups.get('a')!.children, []);
});

test('invalid group and host names: E_INVENTORY_NAME each, valid entries kept', () => {
  const { inv, errors } = load(['errors/names.yml']);
  assert.equal(errorSummary(errors), [
    'E_INVENTORY_NAME errors/names.yml:3:5',
    'E_INVENTORY_NAME errors/names.yml:8:9',
    'E_INVENTORY_NAME errors/names.yml:9:9',
    'E_INVENTORY_NAME errors/names.yml:10:9',
  ]);
  assert.equal([...inv.hosts.keys()], ['ok2']);
  assert.match(errors.errors[3].message, /equal-length/);
});

test('wrong shapes: E_INVENTORY_SCHEMA at the offending value', () => {
  const { errors } = load(['errors/schema.yml']);
  assert.equal(errorSummary(errors), [
    'E_INVENTORY_SCHEMA errors/schema.yml:5:9',
    'E_INVENTORY_SCHEMA errors/schema.yml:6:13',
    'E_INVENTORY_SCHEMA errors/schema.yml:9:14',
  ]);
});

test('YAML syntax errors: E_INVENTORY_YAML with a position', () => {
  const { errors } = load(['errors/syntax.yml']);
  assert.equal(errorSummary(errors), ['E_INVENTORY_YAML errors/syntax.yml:3:1']);
});

test('bad host_vars/group_vars files: E_INVENTORY_VARS with a position, the inventory still loads', () => {
  const { inv, errors } = load(['errors/badvars/hosts.yml']);
  assert.equal(errorSummary(errors).sort(), [
    'E_INVENTORY_VARS errors/badvars/group_vars/all.yml:1:1',
    'E_INVENTORY_VARS errors/badvars/host_vars/h1.yml:2:1',
  ]);
  assert.ok(inv.hosts.has('h1'));
});

test('host keys with ranges and :port expand as in ansible (first port only for a new host; written vars win)', () => {
  const inv = loadClean(['ranges.yml']);
  assert.equal(inv.groups.get('nodes')!.hosts, [
    'pve1', 'pve2', 'pve3', 'db-a', 'db-b', 'db-c', 'ct900', 'ct905', 'ct910',
    'edge1-x', 'edge1-y', 'edge2-x', 'edge2-y', 'solo', '10.0.1.1', '10.0.2.1',
  ]);
  assert.equal(inv.hosts.get('db-b')!.vars, { ansible_port: 2222, ansible_user: 'admin' });
  assert.equal(inv.hosts.get('pve2')!.vars, {});
  assert.equal(inv.hosts.get('solo')!.vars, { ansible_port: 2200 });
});

test('hosts: and children: may be null, or a single name as a string', () => {
  assert.equal(loadClean(['lab/hosts.yml']).groups.get('empty')!.hosts, []);
  const inv = loadClean(['string-sections.yml']);
  assert.equal(inv.groups.get('web')!.hosts, ['web1']);
  assert.equal(inv.groups.get('web')!.children, ['db']);
  assert.equal(inv.groups.get('db')!.hosts, ['db1']);
});

test.run();
