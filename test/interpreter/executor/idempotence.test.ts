import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { main } from '../../../interpreter/cli.js';

/**
 * Every generic module in one playbook against a fresh directory: --check changes nothing and predicts exactly the
 * tasks the real run changes; the real run succeeds; the second run changes nothing.
 */
const PLAYBOOK = `
- hosts: all
  gather_facts: false
  vars:
    root: "{{ target_dir }}"
  tasks:
    - name: directory
      file: { path: "{{ root }}/etc", state: directory, mode: "0755" }
    - name: copy content
      copy: { dest: "{{ root }}/etc/app.conf", content: "port=80\\n", mode: "0640" }
    - name: template
      template: { src: "app.j2", dest: "{{ root }}/etc/app.txt" }
    - name: lineinfile
      lineinfile: { path: "{{ root }}/etc/other.conf", regexp: "^port=", line: "port=8080" }
    - name: touch a marker only once
      command: "touch {{ root }}/marker"
      args: { creates: "{{ root }}/marker" }
    - name: shell with removes
      shell: "rm -f {{ root }}/obsolete"
      args: { removes: "{{ root }}/obsolete" }
    - name: link
      file: { src: "{{ root }}/etc/other.conf", dest: "{{ root }}/other.conf", state: link }
    - name: stat
      stat: { path: "{{ root }}/etc/app.conf" }
      register: st
    - name: assert
      assert: { that: ["st.stat.exists"] }
      when: not ansible_check_mode
    - name: set_fact
      set_fact: { seen: true }
    - name: debug
      debug: { msg: "hello {{ inventory_hostname }}" }
    - name: wait_for file
      wait_for: { path: "{{ root }}/etc", timeout: 5 }
      when: not ansible_check_mode
`;

interface JsonRun {
  plays: Array<{ tasks: Array<{ task: { name: string }; hosts: Record<string, { status: string }> }> }>;
  stats: Record<string, { changed: number; failed: number }>;
}

async function phoenix(dir: string, args: string[]): Promise<{ code: number; doc: JsonRun }> {
  let out = '';
  let err = '';
  const code = await main(['run', join(dir, 'site.yml'), '-i', join(dir, 'inventory.yml'), '--json', ...args], {
    stdout: { write: (s: string) => { out += s; } },
    stderr: { write: (s: string) => { err += s; } },
  });
  assert.ok(out, `no JSON output; stderr: ${err}`);
  return { code, doc: JSON.parse(out) as JsonRun };
}

function changedTasks(doc: JsonRun): string[] {
  return doc.plays.flatMap((p) => p.tasks.filter((t) => Object.values(t.hosts).some((h) => h.status === 'changed')).map((t) => t.task.name));
}

function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      const st = statSync(path, { throwIfNoEntry: false });
      out.push(`${path} ${st?.mode.toString(8)} ${st?.isFile() ? readFileSync(path, 'utf8') : ''}`);
      if (st?.isDirectory()) walk(path);
    }
  };
  walk(dir);
  return out;
}

test('check predicts the real run; the real run converges; the re-run changes nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-idem-'));
  const target = join(dir, 'target');
  mkdirSync(target);
  // The directory exists (with another mode): check mode, like Ansible's, cannot copy into a directory that an
  // earlier task would only have created.
  mkdirSync(join(target, 'etc'), { mode: 0o700 });
  writeFileSync(join(target, 'etc', 'other.conf'), 'port=80\n');
  writeFileSync(join(target, 'obsolete'), 'old');
  writeFileSync(join(dir, 'site.yml'), PLAYBOOK);
  writeFileSync(join(dir, 'app.j2'), 'host={{ inventory_hostname }}\n');
  writeFileSync(join(dir, 'inventory.yml'), `all:\n  hosts:\n    h1:\n      ansible_connection: local\n      target_dir: ${target}\n`);
  try {
    const before = snapshot(target);
    const check = await phoenix(dir, ['--check']);
    assert.is(check.code, 0);
    assert.equal(snapshot(target), before, 'check mode changed nothing');
    const real = await phoenix(dir, []);
    assert.is(real.code, 0);
    assert.equal(changedTasks(real.doc), changedTasks(check.doc), 'check predicted exactly the changed tasks');
    assert.ok(changedTasks(real.doc).length >= 7, `changed: ${changedTasks(real.doc).join(', ')}`);
    const again = await phoenix(dir, []);
    assert.is(again.code, 0);
    assert.is(again.doc.stats.h1.changed, 0, `re-run changed: ${changedTasks(again.doc).join(', ')}`);
    assert.is(readFileSync(join(target, 'etc', 'other.conf'), 'utf8'), 'port=8080\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
