import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LabLease, announceSkip, labInventoryText, labSkipReason } from './fixture.js';
import { onNode } from '../../lab/lab.js';
import { setupOnce } from '../support/setup-once.js';

// Ctrl-C while a command runs on a node over SSH: phoenix exits 99 at once, no later task starts, and the command
// itself is stopped: sshd does not pass a signal to a command without a terminal, so phoenix signals the remote
// shell's process group from another channel (README, "Reliability and security").
const test = suite('Ctrl-C during a command over SSH');
const lab = new LabLease();
const skip = labSkipReason();
let dir = '';

setupOnce(test, async () => {
  if (skip) return;
  await lab.acquire({ privateNode: true });
  dir = mkdtempSync(join(tmpdir(), 'phoenix-int-'));
  writeFileSync(join(dir, 'p.yml'), [
    '- hosts: all', '  gather_facts: false', '  tasks:',
    '    - name: long', '      shell: "sleep 5 && touch /root/phoenix-after-sleep"',
    '    - name: later', '      command: touch /root/phoenix-later-task', '',
  ].join('\n'));
  writeFileSync(join(dir, 'i.yml'), labInventoryText(lab));
});

test.after(async () => {
  if (skip) return;
  await lab.release();
  rmSync(dir, { recursive: true, force: true });
});

test('exit 99 promptly; no later task starts', async () => {
  if (skip) return announceSkip('test/lab/interrupt.test.ts', skip);
  const child = spawn(process.execPath, [resolve('bin/phoenix.js'), 'run', join(dir, 'p.yml'), '-i', join(dir, 'i.yml')], { stdio: 'ignore' });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  await new Promise((r) => setTimeout(r, 2500));
  const sent = Date.now();
  child.kill('SIGINT');
  const code = await exited;
  assert.is(code, 99);
  assert.ok(Date.now() - sent < 5000, `exited ${Date.now() - sent} ms after Ctrl-C`);
  await new Promise((r) => setTimeout(r, 4000)); // past the end of the sleep, had it gone on
  const seen = await onNode(lab.node, 'ls /root');
  assert.not.match(seen.stdout, /phoenix-later-task/);
  assert.not.match(seen.stdout, /phoenix-after-sleep/);
});

test.run();
