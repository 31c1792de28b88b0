import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The installed binary as users run it: bin/phoenix.js loads the bundled CLI (dist/phoenix.cjs). */
const bin = resolve('bin/phoenix.js');

test('the bundle exists after the build and runs a playbook end to end', () => {
  assert.ok(existsSync(resolve('dist/phoenix.cjs')), 'npm run build bundles the CLI');
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-bin-'));
  try {
    writeFileSync(join(dir, 'p.yml'), '- hosts: all\n  gather_facts: false\n  tasks:\n    - name: hello\n      command: echo hi\n');
    writeFileSync(join(dir, 'i.yml'), 'all:\n  hosts:\n    h1:\n      ansible_connection: local\n');
    const run = spawnSync(process.execPath, [bin, 'run', join(dir, 'p.yml'), '-i', join(dir, 'i.yml')], { encoding: 'utf8' });
    assert.is(run.status, 0, run.stderr);
    assert.match(run.stdout, /changed: \[h1\]/);
    assert.match(run.stdout, /h1\s+: ok=1 +changed=1 +unreachable=0 +failed=0/);
    const bad = spawnSync(process.execPath, [bin, 'run', join(dir, 'p.yml'), '--forks', 'x'], { encoding: 'utf8' });
    assert.is(bad.status, 5);
    assert.match(bad.stderr, /E_USAGE/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('from any directory: a one-task playbook and site.yml against the example config inventory (no feature lookup next to the playbook)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-bin-'));
  try {
    writeFileSync(join(dir, 'check.yml'), '- hosts: proxmox\n  gather_facts: false\n  tasks:\n    - name: hello\n      command: echo hi\n');
    const inventory = resolve('inventory');
    for (const args of [['check.yml', '--syntax-check'], ['check.yml', '--list-hosts'], [resolve('playbooks/site.yml'), '--list-hosts']]) {
      const run = spawnSync(process.execPath, [bin, 'run', ...args, '-i', inventory], { encoding: 'utf8', cwd: dir });
      assert.is(run.stderr, '', args.join(' '));
      assert.is(run.status, 0, args.join(' '));
      if (args[1] === '--list-hosts') assert.match(run.stdout, /pve1/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a reader that goes away (| head) ends the output quietly: no EPIPE crash, exit 0', () => {
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-bin-'));
  try {
    // More than a pipe's 64 KiB, so phoenix is still writing when head has gone.
    const hosts = Array.from({ length: 3000 }, (_, i) => `    host-${i}.example.com:\n      ansible_connection: local\n`).join('');
    writeFileSync(join(dir, 'i.yml'), `all:\n  hosts:\n${hosts}`);
    const run = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${bin}" inventory --list -i "${join(dir, 'i.yml')}" | head -c 10 >/dev/null`], { encoding: 'utf8' });
    assert.is(run.stderr, '');
    assert.is(run.status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('scripts/link-phoenix.sh (run by setup.sh) puts `phoenix` on PATH; it runs from any directory through the link', () => {
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-link-'));
  try {
    const bindir = join(dir, 'bin');
    const link = spawnSync('bash', [resolve('scripts/link-phoenix.sh'), bindir], { encoding: 'utf8', env: { ...process.env, PATH: '/usr/bin:/bin' } });
    assert.is(link.status, 0, link.stderr);
    assert.is(readlinkSync(join(bindir, 'phoenix')), bin);
    assert.match(link.stdout, `${bindir} is not on your PATH; add it to run phoenix: export PATH="${bindir}:$PATH"`);
    const work = join(dir, 'elsewhere');
    mkdirSync(work);
    writeFileSync(join(work, 'p.yml'), '- hosts: all\n  gather_facts: false\n  tasks:\n    - name: hello\n      command: echo hi\n');
    writeFileSync(join(work, 'i.yml'), 'all:\n  hosts:\n    h1:\n      ansible_connection: local\n');
    const env = { ...process.env, PATH: `${bindir}:${process.env.PATH ?? '/usr/bin:/bin'}` };
    const version = spawnSync('phoenix', ['--version'], { cwd: work, encoding: 'utf8', env });
    assert.is(version.status, 0, version.stderr);
    assert.match(version.stdout, /^phoenix \d+\.\d+\.\d+/);
    const run = spawnSync('phoenix', ['run', 'p.yml', '-i', 'i.yml'], { cwd: work, encoding: 'utf8', env });
    assert.is(run.status, 0, run.stderr);
    assert.match(run.stdout, /h1\s+: ok=1 +changed=1 +unreachable=0 +failed=0/);
    const check = spawnSync('phoenix', ['run', '--syntax-check', resolve('playbooks/site.yml'), '-i', resolve('inventory')], { cwd: work, encoding: 'utf8', env });
    assert.is(check.status, 0, check.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('scripts/link-phoenix.sh moves a link to another checkout, and leaves anything else named phoenix alone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-link-'));
  try {
    const script = resolve('scripts/link-phoenix.sh');
    const other = join(dir, 'other');
    mkdirSync(other);
    symlinkSync('/old/clone/bin/phoenix.js', join(other, 'phoenix'));
    const moved = spawnSync('bash', [script, other], { encoding: 'utf8' });
    assert.is(moved.status, 0, moved.stderr);
    assert.is(readlinkSync(join(other, 'phoenix')), bin);
    assert.match(moved.stdout, `pointed at /old/clone/bin/phoenix.js; now at this checkout (${bin})`);
    const foreign = join(dir, 'foreign');
    mkdirSync(foreign);
    symlinkSync('/usr/bin/true', join(foreign, 'phoenix'));
    const kept = spawnSync('bash', [script, foreign], { encoding: 'utf8' });
    assert.is(kept.status, 0);
    assert.is(readlinkSync(join(foreign, 'phoenix')), '/usr/bin/true');
    assert.match(kept.stderr, 'points at /usr/bin/true, not at a phoenix checkout; leaving it');
    const file = join(dir, 'file');
    mkdirSync(file);
    writeFileSync(join(file, 'phoenix'), '#!/bin/sh\n');
    const left = spawnSync('bash', [script, file], { encoding: 'utf8' });
    assert.is(left.status, 0);
    assert.match(left.stderr, 'exists and is not a link; leaving it');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
