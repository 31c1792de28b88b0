import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateWithSchema } from '../../interpreter/schema/validate.js';
import { findModule, modules } from '../../modules/registry.js';

const GENERIC = ['assert', 'command', 'copy', 'debug', 'fail', 'file', 'json_file', 'lineinfile', 'set_fact', 'shell', 'stat', 'template', 'wait_for'];

test('the generic modules are registered under their names and FQCNs', () => {
  for (const name of GENERIC) {
    assert.is(modules.get(name)?.name, name);
    assert.is(findModule(`ansible.builtin.${name}`), modules.get(name));
    assert.is(findModule(`ansible.legacy.${name}`), modules.get(name));
  }
});

test('schemas compile and reject unknown arguments (set_fact takes any variable name)', () => {
  for (const name of GENERIC) {
    const problems = validateWithSchema(modules.get(name)!.schema, { no_such_argument_xyz: 1 });
    if (name === 'set_fact') assert.equal(problems, []);
    else assert.ok(problems.some((p) => p.message.includes("unsupported parameter 'no_such_argument_xyz'")), name);
  }
});

test('aliases are accepted, a missing path is not', () => {
  assert.equal(validateWithSchema(findModule('file')!.schema, { dest: '/x', state: 'absent' }), []);
  assert.equal(validateWithSchema(findModule('lineinfile')!.schema, { destfile: '/x', regex: 'a', value: 'b' }), []);
  assert.equal(validateWithSchema(findModule('stat')!.schema, { name: '/x', checksum_algo: 'sha256' }), []);
  assert.ok(validateWithSchema(findModule('file')!.schema, { state: 'absent' }).length > 0);
});

test('command and shell take a free-form string as cmd', () => {
  assert.is(findModule('command')!.freeForm, 'cmd');
  assert.is(findModule('shell')!.freeForm, 'cmd');
});

test.run();
