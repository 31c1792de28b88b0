import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hostVars, magicVars, selectHosts } from '../../../interpreter/inventory/index.js';
import { expected, loadClean } from './support.js';

/** ansible-inventory --list: `_meta.hostvars` is each host's merged inventory variables. */
function recordedHostvars(name: string): Record<string, Record<string, unknown>> {
  return (JSON.parse(expected(name)) as { _meta: { hostvars: Record<string, Record<string, unknown>> } })._meta.hostvars;
}

test('inventory-adjacent group_vars/host_vars: same variables as ansible-inventory', () => {
  const inv = loadClean(['vars/inventory/hosts.yml']);
  for (const [host, vars] of Object.entries(recordedHostvars('vars.list.json'))) assert.equal(hostVars(inv, host), vars, host);
});

test('playbook-adjacent vars dirs win over inventory-adjacent ones (ansible-inventory --playbook-dir)', () => {
  const inv = loadClean(['vars/inventory/hosts.yml'], { varsDirs: ['vars/playbook'] });
  for (const [host, vars] of Object.entries(recordedHostvars('vars-playbook.list.json'))) assert.equal(hostVars(inv, host), vars, host);
});

test('precedence by depth: the child group b beats its parent a, which beats all', () => {
  const inv = loadClean(['vars/inventory/hosts.yml']);
  assert.is(hostVars(inv, 'h1').v, 'b-inline');
  assert.is(hostVars(inv, 'h3').v, 'all-inline');
});

test('same depth: the alphabetically later group wins (z over a), inline and from files', () => {
  const inv = loadClean(['vars/inventory/hosts.yml']);
  assert.is(hostVars(inv, 'h1').same_depth_inline, 'z-inline');
  assert.is(hostVars(inv, 'h1').same_depth, 'z-file');
});

test('ansible_group_priority: prio_high (10) wins over prio_low although prio_low sorts later; not a variable', () => {
  const inv = loadClean(['vars/inventory/hosts.yml']);
  assert.is(hostVars(inv, 'h2').prio, 'high');
  assert.is(hostVars(inv, 'h3').prio, 'low');
  assert.is(inv.groups.get('prio_high')!.priority, 10);
  assert.not.ok('ansible_group_priority' in hostVars(inv, 'h2'));
});

test('a vars directory merges its files in sorted order; a file without extension is read', () => {
  const inv = loadClean(['vars/inventory/hosts.yml']);
  const vars = hostVars(inv, 'h1');
  assert.is(vars.from_dir, 'first');
  assert.is(vars.dir_order, 'second');
  assert.is(vars.file_z, 1);
});

test('host_vars files beat the host\'s inline vars, which beat every group', () => {
  const inv = loadClean(['vars/inventory/hosts.yml']);
  assert.is(hostVars(inv, 'h1').hv, 'h1-file');
  assert.equal(hostVars(inv, 'h1').h1_json, [1, 2]);
});

test('magic variables: same group_names, inventory_hostname_short and groups as ansible', () => {
  const recorded = JSON.parse(expected('lab.magic.json')) as Record<string, Record<string, unknown>>;
  const inv = loadClean(['lab/hosts.yml']);
  for (const [host, want] of Object.entries(recorded)) {
    selectHosts(inv, host);
    const magic = magicVars(inv, host);
    assert.equal(magic.group_names, want.group_names, host);
    assert.is(magic.inventory_hostname_short, want.inventory_hostname_short, host);
    assert.equal(magic.groups, want.groups, host);
    assert.is(magic.inventory_hostname, host);
  }
});

test('implicit localhost: all\'s variables and ansible_connection local, like ansible', () => {
  const recorded = JSON.parse(expected('lab.magic.json')) as Record<string, Record<string, unknown>>;
  const inv = loadClean(['lab/hosts.yml']);
  const vars = hostVars(inv, 'localhost');
  assert.is(vars.ansible_connection, recorded.localhost.connection);
  assert.is(vars.site, recorded.localhost.site);
  assert.equal(magicVars(inv, 'localhost').group_names, []);
});

test('inventory_file and inventory_dir name the file the host first appears in', () => {
  const inv = loadClean(['multi']);
  const magic = magicVars(inv, 'pve1');
  assert.match(String(magic.inventory_file), /multi\/10-nodes\.yml$/);
  assert.match(String(magic.inventory_dir), /multi$/);
});

test('an unknown host is E_INVENTORY_HOST', () => {
  const inv = loadClean(['lab/hosts.yml']);
  assert.throws(() => hostVars(inv, 'nope'), (e: { code?: string }) => e.code === 'E_INVENTORY_HOST');
});

test.run();
