import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ErrorList } from '../../../interpreter/errors.js';
import { applyPhoenixConfig, type ApplyPhoenixConfigOptions } from '../../../interpreter/config/index.js';
import { hostVars, loadInventory } from '../../../interpreter/inventory/index.js';
import { packageRoot } from '../../../interpreter/package-root.js';
import { FEATURES, fixture } from './support.js';

/**
 * Where the feature task files are: one decision (resolveFeaturesDir) for the config check and the plays, from the
 * inventory (phoenix_features_dir), the project (playbooks/features/ above the inventory) or phoenix itself.
 */
const PHOENIX = packageRoot(import.meta.url)!;
let dir = '';

test.before.each(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'phoenix-features-')));
});
test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A project in the temp dir: `inventory/` with the example JSON configuration and hosts.yml (extra `all` vars). */
function project(allVars = '', files: Record<string, string> = {}): string {
  const inv = join(dir, 'inventory');
  mkdirSync(inv, { recursive: true });
  for (const name of ['phoenix_hypervisor_config.json', 'phoenix_lxc_configs.json']) cpSync(fixture(`example/${name}`), join(inv, name));
  writeFileSync(join(inv, 'hosts.yml'), `all:\n  vars:\n    phoenix_config: phoenix_hypervisor_config.json\n${allVars}  children:\n    proxmox:\n      hosts:\n        pve1: {}\n`);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return join(inv, 'hosts.yml');
}

function open(source: string, options: ApplyPhoenixConfigOptions = {}) {
  const errors = new ErrorList();
  const inv = loadInventory([source], { ignore: ['phoenix_*.json'] }, errors);
  const applied = errors.empty ? applyPhoenixConfig(inv, errors, options) : undefined;
  return { inv, errors, applied };
}

const codes = (errors: ErrorList) => errors.errors.map((e) => e.code);

test('phoenix_features_dir in all vars is relative to the inventory file that sets it; every host sees the absolute path', () => {
  cpSync(fixture(FEATURES), join(dir, 'my-features'), { recursive: true });
  const { inv, errors, applied } = open(project('    phoenix_features_dir: ../my-features\n'), { checkFeatures: true });
  assert.equal(codes(errors), []);
  assert.is(applied!.features.source, 'inventory');
  assert.is(applied!.features.dir, join(dir, 'my-features'));
  assert.is(applied!.features.pos!.file, join(dir, 'inventory', 'hosts.yml'));
  for (const host of ['pve1', 'ct900', 'ct901']) assert.is(hostVars(inv, host).phoenix_features_dir, join(dir, 'my-features'), host);
});

test('phoenix_features_dir in group_vars/all is relative to that file', () => {
  cpSync(fixture(FEATURES), join(dir, 'inventory', 'features'), { recursive: true });
  const { inv, errors, applied } = open(project('', { 'inventory/group_vars/all.yml': 'phoenix_features_dir: ../features\n' }), { checkFeatures: true });
  assert.equal(codes(errors), []);
  assert.is(applied!.features.dir, join(dir, 'inventory', 'features'));
  assert.is(hostVars(inv, 'ct902').phoenix_features_dir, join(dir, 'inventory', 'features'));
});

test('by default the project\'s playbooks/features/: the nearest at or above the inventory', () => {
  cpSync(fixture(FEATURES), join(dir, 'playbooks', 'features'), { recursive: true });
  const { inv, errors, applied } = open(project(), { checkFeatures: true });
  assert.equal(codes(errors), []);
  assert.equal({ ...applied!.features }, { dir: join(dir, 'playbooks', 'features'), source: 'project', from: join(dir, 'inventory') });
  assert.is(hostVars(inv, 'ct901').phoenix_features_dir, join(dir, 'playbooks', 'features'));
});

test('without playbooks/features/ above the inventory, phoenix\'s own (phoenix on PATH, run from anywhere)', () => {
  const { errors, applied } = open(project(), { checkFeatures: true });
  assert.equal(codes(errors), [], 'phoenix ships base_setup, nvidia and docker');
  assert.is(applied!.features.source, 'phoenix');
  assert.is(applied!.features.dir, join(PHOENIX, 'playbooks', 'features'));
});

test('the example inventory of this repository uses this repository\'s playbooks/features', () => {
  const { errors, applied } = open(join(PHOENIX, 'inventory'));
  assert.equal(codes(errors), []);
  assert.equal([applied!.features.source, applied!.features.dir], ['project', join(PHOENIX, 'playbooks', 'features')]);
});

test('a used feature without its task file: file, JSON path and line, where phoenix looked and how to point elsewhere', () => {
  mkdirSync(join(dir, 'my-features'));
  writeFileSync(join(dir, 'my-features', 'base_setup.yml'), '- debug: { msg: hi }\n');
  const { errors, applied } = open(project('    phoenix_features_dir: ../my-features\n'), { checkFeatures: true });
  assert.is(applied, undefined);
  assert.equal(codes(errors), ['E_CONFIG_FEATURE', 'E_CONFIG_FEATURE', 'E_CONFIG_FEATURE']);
  const [nvidia] = errors.errors;
  assert.is(nvidia.jsonPath, '$.lxc_configs["901"].features[0]');
  assert.equal([nvidia.pos!.file, nvidia.pos!.line], [join(dir, 'inventory', 'phoenix_lxc_configs.json'), 29]);
  assert.match(nvidia.message, `${join(dir, 'my-features', 'nvidia.yml')} not found`);
  assert.match(nvidia.hint!, `looked in ${join(dir, 'my-features')} (phoenix_features_dir, set at ${join(dir, 'inventory', 'hosts.yml')}:4)`);
  assert.match(nvidia.hint!, 'point phoenix_features_dir at another directory');
});

test('the default directory\'s hint says how to use another one', () => {
  mkdirSync(join(dir, 'playbooks', 'features'), { recursive: true });
  const { errors } = open(project(), { checkFeatures: true });
  assert.equal(codes(errors), ['E_CONFIG_FEATURE', 'E_CONFIG_FEATURE', 'E_CONFIG_FEATURE', 'E_CONFIG_FEATURE']);
  assert.match(errors.errors[0].hint!, `looked in ${join(dir, 'playbooks', 'features')} (the project's playbooks/features, the nearest at or above ${join(dir, 'inventory')})`);
  assert.match(errors.errors[0].hint!, 'set phoenix_features_dir in the inventory\'s all vars (relative to the file that sets it)');
});

test('feature files are not looked for unless asked (a playbook that includes no features)', () => {
  const { errors, applied } = open(project('    phoenix_features_dir: ../nowhere\n'));
  assert.equal(codes(errors), []);
  assert.is(applied!.features.dir, join(dir, 'nowhere'));
});

test('phoenix_features_dir that is not a directory, not a path, or set on a host: E_CONFIG_FEATURES_DIR at its line', () => {
  const missing = open(project('    phoenix_features_dir: ../nowhere\n'), { checkFeatures: true });
  assert.equal(codes(missing.errors), ['E_CONFIG_FEATURES_DIR'], 'one error for the directory, not one per feature');
  assert.equal([missing.errors.errors[0].pos!.line, missing.errors.errors[0].message], [4, `phoenix_features_dir: ${join(dir, 'nowhere')} is not a directory`]);
  const empty = open(project('    phoenix_features_dir: ""\n'));
  assert.equal(codes(empty.errors), ['E_CONFIG_FEATURES_DIR']);
  const onHost = open(project('', { 'inventory/host_vars/ct901.yml': 'phoenix_features_dir: /tmp\n' }));
  assert.equal(codes(onHost.errors), ['E_CONFIG_FEATURES_DIR']);
  assert.is(onHost.errors.errors[0].pos!.file, join(dir, 'inventory', 'host_vars', 'ct901.yml'));
});

test.run();
