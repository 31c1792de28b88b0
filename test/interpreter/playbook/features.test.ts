import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorList } from '../../../interpreter/errors.js';
import { loadPlaybook } from '../../../interpreter/playbook/load.js';
import type { IncludeNode } from '../../../interpreter/playbook/types.js';

/** The loader and `{{ phoenix_features_dir }}`: which playbooks use features, and their files read at load time. */
let dir = '';
test.before.each(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'phoenix-load-features-')));
  mkdirSync(join(dir, 'feat'));
  writeFileSync(join(dir, 'feat', 'a.yml'), '- debug: { msg: a }\n');
  writeFileSync(join(dir, 'feat', 'b.yml'), '- debug: { msg: b }\n');
});
test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

const play = (file: string) => `- hosts: all\n  tasks:\n    - name: Features\n      include_tasks: "${file}"\n      loop: [a, b]\n      loop_control: { loop_var: feature }\n`;

function load(text: string, featuresDir?: string) {
  writeFileSync(join(dir, 'p.yml'), text);
  const errors = new ErrorList();
  const playbook = loadPlaybook(join(dir, 'p.yml'), errors, { featuresDir });
  errors.throwIfAny();
  return playbook;
}

test('an include of {{ phoenix_features_dir }}/... marks the playbook as using features and reads that directory now', () => {
  const playbook = load(play('{{ phoenix_features_dir }}/{{ feature }}.yml'), join(dir, 'feat'));
  assert.equal(playbook.featureIncludes!.map((p) => [p.file, p.line]), [[join(dir, 'p.yml'), 3]]);
  const include = playbook.plays[0].tasks[0] as IncludeNode;
  assert.equal([...include.candidates!.keys()], [join(dir, 'feat', 'a.yml'), join(dir, 'feat', 'b.yml')]);
  assert.is(include.file, '{{ phoenix_features_dir }}/{{ feature }}.yml', 'rendered at run time: a play may override it');
});

test('without the directory (no config inventory) the include is still a feature include, loaded when reached', () => {
  const playbook = load(play('{{ phoenix_features_dir }}/{{ feature }}.yml'));
  assert.is(playbook.featureIncludes!.length, 1);
  assert.is((playbook.plays[0].tasks[0] as IncludeNode).candidates!.size, 0);
});

test('a playbook without such an include uses no features; a relative features/ include is the playbook\'s own', () => {
  assert.equal(load('- hosts: all\n  tasks:\n    - command: echo hi\n', join(dir, 'feat')).featureIncludes, []);
  const relative = load(play('feat/{{ feature }}.yml'), join(dir, 'nowhere'));
  assert.equal(relative.featureIncludes, []);
  assert.is((relative.plays[0].tasks[0] as IncludeNode).candidates!.size, 2, 'relative to the playbook, as before');
});

test('feature includes of an imported playbook count', () => {
  writeFileSync(join(dir, 'inner.yml'), play('{{ phoenix_features_dir }}/{{ feature }}.yml'));
  const playbook = load('- import_playbook: inner.yml\n', join(dir, 'feat'));
  assert.equal(playbook.featureIncludes!.map((p) => p.file), [join(dir, 'inner.yml')]);
});

test.run();
