import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../interpreter/cli.js';
import { packageRoot } from '../../../interpreter/package-root.js';

/**
 * Any playbook runs against a config inventory (issue 11, point 5): feature task files belong to the configuration
 * (phoenix_features_dir, else the project's playbooks/features/, else phoenix's own), not to the folder of whichever
 * playbook runs, and they are checked before connecting only when a play includes them.
 */
const PHOENIX = packageRoot(import.meta.url)!;
const EXAMPLE_INVENTORY = join(PHOENIX, 'inventory');
const FIXTURE_FEATURES = join(PHOENIX, 'test', 'interpreter', 'config', 'fixtures', 'features');
const cwd = process.cwd();
let dir = '';

test.before.each(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'phoenix-cli-features-')));
  process.chdir(dir);
});
test.after.each(() => {
  process.chdir(cwd);
  rmSync(dir, { recursive: true, force: true });
});

async function phoenix(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['run', ...args], { stdout: { write: (s: string) => { out += s; } }, stderr: { write: (s: string) => { err += s; } } });
  return { code, out, err };
}

const ONE_TASK = `- hosts: proxmox
  gather_facts: false
  tasks:
    - name: hello
      command: echo hi
`;
const WITH_FEATURES = `- hosts: lxc
  gather_facts: false
  tasks:
    - name: Features
      include_tasks: "{{ phoenix_features_dir }}/{{ feature }}.yml"
      loop: "{{ phoenix_features }}"
      loop_control:
        loop_var: feature
`;

/** A config inventory in the temp dir whose node and first container run locally (no host needed). */
function localProject(allVars = ''): string {
  const inv = join(dir, 'inventory');
  mkdirSync(inv, { recursive: true });
  for (const name of ['phoenix_hypervisor_config.json', 'phoenix_lxc_configs.json']) cpSync(join(EXAMPLE_INVENTORY, name), join(inv, name));
  writeFileSync(join(inv, 'hosts.yml'), `all:
  vars:
    phoenix_config: phoenix_hypervisor_config.json
${allVars}  hosts:
    ct900:
      ansible_connection: local
  children:
    proxmox:
      hosts:
        pve1:
          ansible_connection: local
`);
  return join(inv, 'hosts.yml');
}

test('a one-task playbook outside playbooks/ against the example config inventory: --syntax-check, --list-hosts', async () => {
  writeFileSync(join(dir, 'check.yml'), ONE_TASK);
  const syntax = await phoenix('check.yml', '-i', EXAMPLE_INVENTORY, '--syntax-check');
  assert.equal([syntax.code, syntax.err], [0, '']);
  assert.match(syntax.out, 'playbook: check.yml');
  const hosts = await phoenix('check.yml', '-i', EXAMPLE_INVENTORY, '--list-hosts');
  assert.equal([hosts.code, hosts.err], [0, '']);
  assert.match(hosts.out, /hosts \(1\):\s+pve1/);
});

test('a one-task playbook runs (--check and for real) against a config inventory whose feature files are all missing', async () => {
  writeFileSync(join(dir, 'check.yml'), ONE_TASK);
  const inventory = localProject('    phoenix_features_dir: ../no-such-dir\n');
  const check = await phoenix('check.yml', '-i', inventory, '--check');
  assert.equal([check.code, check.err], [0, '']);
  const real = await phoenix('check.yml', '-i', inventory);
  assert.equal([real.code, real.err], [0, '']);
  assert.match(real.out, /pve1\s+: ok=1 +changed=1/);
});

test('a playbook that includes features resolves them from the inventory\'s features directory and runs them', async () => {
  cpSync(FIXTURE_FEATURES, join(dir, 'my-features'), { recursive: true });
  writeFileSync(join(dir, 'features.yml'), WITH_FEATURES);
  const run = await phoenix('features.yml', '-i', localProject('    phoenix_features_dir: ../my-features\n'), '--limit', 'ct900');
  assert.equal([run.code, run.err], [0, '']);
  assert.match(run.out, /included: .*my-features\/base_setup\.yml for ct900|base_setup feature \(fixture\)/);
  assert.match(run.out, /ct900\s+: ok=2 /);
});

test('a used feature without its task file stops the run before connecting: file, JSON path, line, where it looked', async () => {
  mkdirSync(join(dir, 'my-features'));
  cpSync(join(FIXTURE_FEATURES, 'base_setup.yml'), join(dir, 'my-features', 'base_setup.yml'));
  writeFileSync(join(dir, 'features.yml'), WITH_FEATURES);
  writeFileSync(join(dir, 'check.yml'), ONE_TASK);
  const inventory = localProject('    phoenix_features_dir: ../my-features\n');
  for (const args of [['--syntax-check'], ['--check'], []]) {
    const run = await phoenix('features.yml', '-i', inventory, ...args);
    assert.is(run.code, 4, args.join(' '));
    assert.is(run.out, '', 'nothing ran');
    assert.match(run.err, `[E_CONFIG_FEATURE] ${join(dir, 'inventory', 'phoenix_lxc_configs.json')}: feature 'nvidia' has no task file: ${join(dir, 'my-features', 'nvidia.yml')} not found`);
    assert.match(run.err, `--> ${join(dir, 'inventory', 'phoenix_lxc_configs.json')}:31:20`);
    assert.match(run.err, 'path: $.lxc_configs["901"].features[0]');
    assert.match(run.err, `looked in ${join(dir, 'my-features')} (phoenix_features_dir, set at ${join(dir, 'inventory', 'hosts.yml')}:4)`);
    assert.match(run.err, `the playbook includes features at ${join(dir, 'features.yml')}:4`);
    assert.match(run.err, '3 errors');
  }
  const other = await phoenix('check.yml', '-i', inventory);
  assert.equal([other.code, other.err], [0, ''], 'the same inventory with a playbook that includes no features');
});

test('-e phoenix_features_dir (relative to the current directory) wins, for the check and the plays alike', async () => {
  cpSync(FIXTURE_FEATURES, join(dir, 'other'), { recursive: true });
  writeFileSync(join(dir, 'features.yml'), WITH_FEATURES);
  const inventory = localProject('    phoenix_features_dir: ../no-such-dir\n');
  const run = await phoenix('features.yml', '-i', inventory, '--limit', 'ct900', '-e', 'phoenix_features_dir=other');
  assert.equal([run.code, run.err], [0, '']);
  assert.match(run.out, /ct900\s+: ok=2 /);
  const missing = await phoenix('features.yml', '-i', inventory, '-e', 'phoenix_features_dir=no-such-dir', '--syntax-check');
  assert.is(missing.code, 4);
  assert.match(missing.err, `[E_CONFIG_FEATURES_DIR] phoenix_features_dir: ${join(dir, 'no-such-dir')} is not a directory`);
  assert.match(missing.err, 'relative to the current directory');
});

test('site.yml against a config inventory outside the project: phoenix\'s own features; a broken feature file is found at load', async () => {
  const site = join(PHOENIX, 'playbooks', 'site.yml');
  const inventory = localProject();
  const listed = await phoenix(site, '-i', inventory, '--list-hosts');
  assert.equal([listed.code, listed.err], [0, '']);
  assert.match(listed.out, /pattern: \['lxc'\]\s+hosts \(5\):/);
  cpSync(FIXTURE_FEATURES, join(dir, 'my-features'), { recursive: true });
  writeFileSync(join(dir, 'my-features', 'docker.yml'), '- name: typo\n  dbug: { msg: x }\n');
  const broken = await phoenix(site, '-i', localProject('    phoenix_features_dir: ../my-features\n'), '--syntax-check');
  assert.is(broken.code, 4);
  assert.match(broken.err, `[E_UNKNOWN_MODULE]`);
  assert.match(broken.err, join(dir, 'my-features', 'docker.yml'));
});

test.run();
