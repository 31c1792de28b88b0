import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { main } from '../../../interpreter/cli.js';

/** A serial run (site.yml's node-by-node roll) that stops at a failed batch says where, and what it left untouched. */
const PLAYBOOK = `
- name: node by node
  hosts: all
  gather_facts: false
  serial: 1
  tasks:
    - name: fails on n2
      command: /bin/false
      when: inventory_hostname == 'n2'
- name: containers
  hosts: all
  gather_facts: false
  tasks:
    - debug: { msg: later }
`;

test('every host of a serial batch failed: the run stops and names the batch, the hosts and plays not run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-serial-'));
  try {
    writeFileSync(join(dir, 'site.yml'), PLAYBOOK);
    writeFileSync(join(dir, 'hosts.yml'), 'all:\n  hosts:\n    n1: { ansible_connection: local }\n    n2: { ansible_connection: local }\n    n3: { ansible_connection: local }\n');
    let out = '';
    let err = '';
    const code = await main(['run', join(dir, 'site.yml'), '-i', join(dir, 'hosts.yml')], {
      stdout: { write: (s: string) => { out += s; } },
      stderr: { write: (s: string) => { err += s; } },
    });
    assert.is(code, 2);
    const text = (out + err).replace(/\s+/g, ' ');  // warnings are wrapped at 80 columns
    assert.match(text, /NO MORE HOSTS LEFT: every host of the batch \[n2\] of play 'node by node' failed, so the run stops here \(not run on n3; plays not run: containers\)/);
    assert.not.match(out.slice(out.indexOf('PLAY RECAP')), /n3/, 'n3 untouched: absent from the recap');
    assert.not.match(out, /ok: \[n3\]|skipping: \[n3\]/, 'no task ran on n3');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
