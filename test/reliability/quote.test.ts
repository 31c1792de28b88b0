import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { quote, raw, shellCommand } from '../../interpreter/connection/quote.js';
import { findCanaries, hostileString, seededRandom } from './hostile.js';

/**
 * `quote`/`shellCommand` against real shells: 10 000 seeded hostile strings must come back from `printf` byte for
 * byte, directly and nested once more inside `sh -c` (as `pct exec` sends them), and no payload may run.
 */
const SEED = 0x9e3779b9;
const COUNT = 10_000;
/** One `sh -c` argument may hold at most 128 KiB (Linux MAX_ARG_STRLEN): batches stay under 100 kB. */
const BATCH_BYTES = 100_000;
const SHELLS = ['/bin/sh', '/bin/dash', '/bin/bash'].filter((s) => spawnSync(s, ['-c', 'true']).status === 0);

const rand = seededRandom(SEED);
const strings = Array.from({ length: COUNT }, () => hostileString(rand, { long: true }));

/** Runs `line` in `shell` inside `dir`; the arguments printf printed, split at NUL. */
function printed(shell: string, line: string, dir: string): string[] {
  const result = spawnSync(shell, ['-c', line], { cwd: dir, env: { PATH: '/usr/bin:/bin' }, maxBuffer: 1 << 28 });
  if (result.error) throw result.error;
  assert.is(result.status, 0, `${shell} failed: ${result.stderr.toString().slice(0, 500)}`);
  const fields = result.stdout.toString('utf8').split('\0');
  fields.pop();
  return fields;
}

/** Consecutive groups of strings whose quoted form stays under `bytes`. */
function batches(list: string[], bytes: number): string[][] {
  const out: string[][] = [[]];
  let size = 0;
  for (const s of list) {
    const length = Buffer.byteLength(quote(s)) + 1;
    if (size + length > bytes && out[out.length - 1].length > 0) {
      out.push([]);
      size = 0;
    }
    out[out.length - 1].push(s);
    size += length;
  }
  return out;
}

function inSandbox(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-quote-'));
  try {
    body(dir);
    assert.equal(findCanaries(dir), [], 'a payload ran');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test(`the generator covers what it must (seed ${SEED})`, () => {
  const all = strings.join('');
  for (const piece of [`'`, '"', '$(', '`', ';', '\n', '&&', '|', '>', '*', '\\', '日本語']) assert.ok(all.includes(piece), piece);
  assert.ok(strings.some((s) => s.startsWith('-')), 'leading dashes');
  assert.ok(strings.some((s) => s.length > 2000), 'very long strings');
  assert.is(strings.length, COUNT);
});

for (const shell of SHELLS) {
  test(`${shell}: 10 000 quoted strings come back exactly, no payload runs`, () => {
    inSandbox((dir) => {
      for (const batch of batches(strings, BATCH_BYTES)) {
        assert.equal(printed(shell, shellCommand('printf', '%s\\0', ...batch), dir), batch);
      }
    });
  });
}

test('quoted twice (sh -c inside sh -c, as pct exec does): still exact', () => {
  inSandbox((dir) => {
    for (const batch of batches(strings.slice(0, 2000), BATCH_BYTES / 3)) {
      const inner = shellCommand('printf', '%s\\0', ...batch);
      assert.equal(printed('/bin/sh', shellCommand('sh', '-c', inner), dir), batch);
    }
  });
});

test('raw syntax joins quoted parts and is the only thing the shell interprets', () => {
  inSandbox((dir) => {
    const batch = strings.slice(0, 50);
    const line = shellCommand('printf', '%s\\0', ...batch, raw('&&'), 'printf', '%s\\0', ...batch, raw('2>/dev/null'));
    assert.equal(printed('/bin/sh', line, dir), [...batch, ...batch]);
  });
});

test('quote leaves safe words bare and quotes everything else', () => {
  assert.is(quote('abc-1.2_3/x:y,z=w@h%+'), 'abc-1.2_3/x:y,z=w@h%+');
  assert.is(quote(''), `''`);
  assert.is(quote(901), '901');
  for (const s of strings.slice(0, 1000)) {
    if (!/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) assert.ok(quote(s).startsWith(`'`), s);
  }
});

test.run();
