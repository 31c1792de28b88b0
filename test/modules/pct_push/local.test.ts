import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { pctPush } from '../../../modules/pct_push.js';
import { moduleContext, runModule } from '../../support/module-context.js';

// pct_push for real on this machine: the "container" is this machine's root (its commands run locally) and the node's
// `pct` is a stand-in that does what PVE's does with files: `pct push` writes into an existing directory only (no
// parent is made), `pct exec -- cmd` runs cmd. So a missing dest directory is phoenix's to create.
const test = suite('pct_push creates the missing directories of dest (stand-in pct)');
let dir = '';
let bin = '';
const savedPath = process.env.PATH;

const PCT = `#!/bin/sh
set -e
sub=$1; shift; vmid=$1; shift
case $sub in
  push)
    src=$1; dest=$2; shift 2; perms=0644
    while [ $# -gt 0 ]; do case $1 in --perms) perms=$2; shift 2 ;; *) shift 2 ;; esac; done
    [ -d "$(dirname "$dest")" ] || { echo "failed to open $dest: No such file or directory" >&2; exit 2; }
    cp "$src" "$dest"; chmod "$perms" "$dest" ;;
  exec) [ "$1" = "--" ] && shift; exec "$@" ;;
  *) echo "stand-in pct: $sub not supported" >&2; exit 1 ;;
esac
`;

const ctx = (check: boolean) => moduleContext({ check, diff: true, baseDir: dir, vars: { proxmox_vmid: 950, proxmox_node: 'pve1' } });
const mode = (path: string) => (statSync(path).mode & 0o7777).toString(8);

test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'phoenix-pct-push-'));
  bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'pct'), PCT);
  chmodSync(join(bin, 'pct'), 0o755);
  writeFileSync(join(dir, 'payload.txt'), 'payload\n');
  process.env.PATH = `${bin}:${savedPath}`;
});

test.after.each(() => {
  process.env.PATH = savedPath;
  rmSync(dir, { recursive: true, force: true });
});

test('a missing parent and grand-parent: listed in check mode, created 0755 by the push, second run ok', async () => {
  const dest = join(dir, 'ct', 'opt', 'app', 'payload.txt');
  const args = { src: 'payload.txt', dest, mode: '0640' };
  const checked = await runModule(pctPush, args, ctx(true));
  assert.is(checked.status, 'changed');
  assert.equal(checked.changes.map((c) => c.summary), [
    `create directory ${join(dir, 'ct')} (0755 root:root)`,
    `create directory ${join(dir, 'ct', 'opt')} (0755 root:root)`,
    `create directory ${join(dir, 'ct', 'opt', 'app')} (0755 root:root)`,
    `push payload.txt (8 bytes, from the controller) to container 950:${dest}`,
  ]);
  assert.not.ok(existsSync(join(dir, 'ct')), 'check mode created nothing');
  const old = process.umask(0o077);
  let got;
  try {
    got = await runModule(pctPush, args, ctx(false));
  } finally {
    process.umask(old);
  }
  assert.is(got.status, 'changed', got.msg);
  assert.equal(got.changes.map((c) => c.summary), checked.changes.map((c) => c.summary));
  for (const d of ['ct', 'ct/opt', 'ct/opt/app']) assert.is(mode(join(dir, d)), '755', d);
  assert.is(readFileSync(dest, 'utf8'), 'payload\n');
  assert.is(mode(dest), '640');
  const again = await runModule(pctPush, args, ctx(false));
  assert.is(again.status, 'ok', again.changes.map((c) => c.summary).join('; '));
});

test('dest below a file: a clear failure before anything is pushed', async () => {
  writeFileSync(join(dir, 'plain'), 'x');
  const got = await runModule(pctPush, { src: 'payload.txt', dest: join(dir, 'plain', 'sub', 'f') }, ctx(false));
  assert.is(got.status, 'failed');
  assert.match(got.msg ?? '', `${join(dir, 'plain')} exists and is not a directory`);
});

test.run();
