import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../interpreter/cli.js';
import { LabLease, announceSkip, labInventoryText, labSkipReason } from '../../lab/fixture.js';
import { setupOnce } from '../../support/setup-once.js';

// reboot on a lab node of its own (the lab simulates the reboot inside the node's namespace: every process of the
// node dies, boot_id changes, sshd comes back): the task waits for the new boot, and the next task runs over the
// re-established connection.
const test = suite('reboot on a lab node');
const lab = new LabLease();
const skip = labSkipReason();
let dir = '';

const PLAYBOOK = `
- hosts: all
  gather_facts: false
  tasks:
    - name: boot before
      command: cat /proc/sys/kernel/random/boot_id
      register: before
    - name: reboot
      reboot: { reboot_timeout: 60 }
    - name: boot after
      command: cat /proc/sys/kernel/random/boot_id
      register: after
    - name: a new boot
      assert:
        that: [before.stdout != after.stdout]
`;

setupOnce(test, async () => {
  if (skip) return;
  await lab.acquire({ privateNode: true });
  dir = mkdtempSync(join(tmpdir(), 'phoenix-reboot-'));
  writeFileSync(join(dir, 'p.yml'), PLAYBOOK);
  writeFileSync(join(dir, 'i.yml'), labInventoryText(lab));
});

test.after(async () => {
  if (skip) return;
  await lab.release();
  rmSync(dir, { recursive: true, force: true });
});

async function phoenix(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await main(['run', join(dir, 'p.yml'), '-i', join(dir, 'i.yml'), ...args], {
    stdout: { write: (s: string) => { out += s; } },
    stderr: { write: (s: string) => { out += s; } },
  });
  return { code, out };
}

test('check mode predicts the reboot and does not reboot', async () => {
  if (skip) return announceSkip('test/modules/reboot/lab.test.ts', skip);
  const check = await phoenix(['--check']);
  assert.match(check.out, /changed: \[[^\]]+\] reboot \S+ and wait until it is back/);
});

test('reboot waits for a new boot, then the run goes on over the new connection', async () => {
  if (skip) return;
  const run = await phoenix([]);
  assert.is(run.code, 0, run.out);
  assert.match(run.out, /TASK \[a new boot\][^\n]*\nok:/);
});

test.run();
