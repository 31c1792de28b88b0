import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseKeyValue } from '../../../interpreter/playbook/kv.js';

test('key=value pairs and free-form words, as Ansible splits them', () => {
  assert.equal(parseKeyValue('msg=hello var=x'), { args: { msg: 'hello', var: 'x' }, freeForm: '' });
  assert.equal(parseKeyValue('msg="hello world" x=\'a b\''), { args: { msg: 'hello world', x: 'a b' }, freeForm: '' });
  assert.equal(parseKeyValue('ls -l creates=/x', new Set(['creates'])), { args: { creates: '/x' }, freeForm: 'ls -l' });
  assert.equal(parseKeyValue('echo a=b', new Set(['creates'])), { args: {}, freeForm: 'echo a=b' });
});

test('spaces inside {{ }} do not split a word', () => {
  const got = parseKeyValue('echo /tmp/{{ inventory_hostname }}/x creates=/tmp/{{ a.b }}', new Set(['creates']));
  assert.equal(got, { args: { creates: '/tmp/{{ a.b }}' }, freeForm: 'echo /tmp/{{ inventory_hostname }}/x' });
});

test.run();
