import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LocalConnection } from '../../interpreter/connection/local.js';
import { PctConnection } from '../../interpreter/connection/pct.js';

/**
 * Ctrl-C on the real binary: SIGINT to phoenix's whole process group (what a terminal sends) ends the run with exit
 * 99, starts no further task, and never leaves a half-written file at a copy's destination: the destination holds
 * the old content or the whole new one. Signals are sent when the run reaches a given point (a TASK banner, the copy's
 * temp file appearing), never after a fixed delay.
 */
const BIN = resolve('bin/phoenix.js');
const BIG = 256 * 1024 * 1024;

let dir = '';
test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'phoenix-interrupt-'));
  writeFileSync(join(dir, 'inventory.yml'), 'all:\n  hosts:\n    box:\n      ansible_connection: local\n');
});
test.after.each(() => rmSync(dir, { recursive: true, force: true }));

interface Running {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

function start(): Running {
  const child = spawn(process.execPath, [BIN, 'run', 'playbook.yml', '-i', 'inventory.yml'], {
    cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' },
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
  const exit = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  return { child, output: () => output, exit };
}

/** Resolves when `check` holds, polling; the test's own timeout is uvu's (none): the run ends by itself anyway. */
function when(check: () => boolean, run: Running): Promise<boolean> {
  return new Promise((done) => {
    const timer = setInterval(() => {
      if (check()) {
        clearInterval(timer);
        done(true);
      }
    }, 2);
    void run.exit.then(() => {
      clearInterval(timer);
      done(check());
    });
  });
}

/** Ctrl-C: SIGINT to the process group, so the commands phoenix runs get it too. */
function ctrlC(run: Running): void {
  try {
    process.kill(-run.child.pid!, 'SIGINT');
  } catch {
    // already gone
  }
}

test('Ctrl-C during a long command: exit 99, the next task never starts', async () => {
  writeFileSync(join(dir, 'playbook.yml'), `- hosts: all
  gather_facts: false
  tasks:
    - name: long
      command: sleep 60
    - name: after
      command: touch ${join(dir, 'after-marker')}
`);
  const run = start();
  assert.ok(await when(() => run.output().includes('TASK [long]'), run), run.output());
  ctrlC(run);
  assert.is(await run.exit, 99, run.output());
  assert.not.ok(existsSync(join(dir, 'after-marker')), 'a task after the interrupt ran');
  assert.ok(run.output().includes('interrupted'), run.output());
});

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

for (const presses of [1, 2]) {
  test(`Ctrl-C${presses === 2 ? ' twice' : ''} while copy writes a large file: the destination is old or whole, never partial`, async () => {
    const content = Buffer.alloc(BIG, 'n');
    content.write('NEW', 0);
    writeFileSync(join(dir, 'big.src'), content);
    writeFileSync(join(dir, 'big.dest'), 'OLD\n', { mode: 0o640 });
    writeFileSync(join(dir, 'playbook.yml'), `- hosts: all
  gather_facts: false
  tasks:
    - name: copy big
      copy:
        src: big.src
        dest: ${join(dir, 'big.dest')}
    - name: after
      command: touch ${join(dir, 'after-marker')}
`);
    const run = start();
    const temp = () => readdirSync(dir).some((n) => n.startsWith('.big.dest.phoenix-'));
    assert.ok(await when(temp, run), `the copy's temp file never showed: ${run.output()}`);
    ctrlC(run);
    // An impatient second Ctrl-C, once phoenix has said it is stopping: it exits at once.
    if (presses === 2 && await when(() => run.output().includes('interrupted'), run)) ctrlC(run);
    const code = await run.exit;
    const dest = readFileSync(join(dir, 'big.dest'));
    assert.ok(dest.equals(Buffer.from('OLD\n')) || sha(dest) === sha(content), `destination is partial: ${dest.length} bytes`);
    assert.is(code, 99, run.output());
    assert.not.ok(existsSync(join(dir, 'after-marker')), 'a task after the interrupt ran');
    assert.equal(readdirSync(dir).filter((n) => n.includes('.phoenix-')), [], 'no temp file left beside the destination');
  });
}

test('the interrupt reaches a command in a container through pct exec on a local node', async () => {
  // A stand-in pct that runs what follows `exec VMID --`, as the real one does inside the container.
  const pct = join(dir, 'pct');
  writeFileSync(pct, '#!/bin/sh\n[ "$1" = exec ] && shift 2 && [ "$1" = -- ] && shift && exec "$@"\nexit 2\n', { mode: 0o755 });
  const ct = new PctConnection('ct901', { node: new LocalConnection('pve'), nodeName: 'pve', vmid: 901, pct });
  const controller = new AbortController();
  const marker = join(dir, 'started');
  const running = ct.run(`touch ${marker}; sleep 60; touch ${marker}.after`, { signal: controller.signal });
  while (!existsSync(marker)) await new Promise((r) => setTimeout(r, 2));
  controller.abort();
  const result = await running;
  assert.ok(result.rc >= 128, `rc ${result.rc}`);
  assert.not.ok(existsSync(`${marker}.after`), 'the command went on after the interrupt');
  assert.is((await ct.run('echo after', { signal: controller.signal })).rc, 130, 'nothing starts once interrupted');
});

test.run();
