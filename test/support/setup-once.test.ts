import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

// setupOnce through uvu itself: a suite file run as uvu runs it, in a child process.
const test = suite('setupOnce');
const helper = pathToFileURL(join(import.meta.dirname, 'setup-once.js')).href;
const uvu = pathToFileURL(join(import.meta.dirname, '..', '..', '..', 'node_modules', 'uvu', 'dist', 'index.mjs')).href;

function runSuite(setUpBody: string): { rc: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-setup-once-'));
  try {
    const file = join(dir, 'suite.mjs');
    writeFileSync(file, [
      `import { suite } from ${JSON.stringify(uvu)};`,
      `import { setupOnce } from ${JSON.stringify(helper)};`,
      "const s = suite('probe');",
      `setupOnce(s, async () => { ${setUpBody} });`,
      "s('first', () => {});",
      "s('second', () => {});",
      's.run();',
    ].join('\n'));
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    return { rc: r.status, out: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a set-up that throws fails every test with its message, and the run exits 1', () => {
  const r = runSuite("throw new Error('no lab here');");
  assert.is(r.rc, 1, r.out);
  assert.is(r.out.match(/the suite's set-up failed: no lab here/g)?.length, 2, r.out);
  assert.match(r.out, /Passed:\s+0/);
});

test('a set-up that passes runs the tests', () => {
  const r = runSuite('await new Promise((res) => setTimeout(res, 5));');
  assert.is(r.rc, 0, r.out);
  assert.match(r.out, /Passed:\s+2/);
});

test.run();
