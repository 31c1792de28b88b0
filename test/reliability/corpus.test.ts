import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../interpreter/cli.js';
import { ConnectionCounter, corpusCases, readExpectation, runCorpusCase } from './corpus-runner.js';

/**
 * The bad-input corpus (test/reliability/corpus/, README.md there): every case gets its exit code, its error codes
 * and positions, and never a connection to any host. Each inventory's ssh hosts point at a listener that counts
 * connection attempts.
 */
const counter = new ConnectionCounter();

test.before(() => counter.start());
test.after(() => counter.stop());

test('the listener sees a run that does reach for a host (the zero below means something)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-corpus-control-'));
  const cwd = process.cwd();
  try {
    writeFileSync(join(dir, 'inventory.yml'), `all:\n  hosts:\n    target:\n      ansible_host: 127.0.0.1\n      ansible_port: ${counter.port}\n      ansible_user: root\n`);
    writeFileSync(join(dir, 'playbook.yml'), '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: echo hi\n');
    process.chdir(dir);
    const before = counter.attempts;
    const sink = { write: () => undefined };
    const exit = await main(['run', 'playbook.yml', '-i', 'inventory.yml'], { stdout: sink, stderr: sink });
    assert.is(exit, 4, 'the host hangs up: unreachable');
    assert.ok(counter.attempts > before, 'the listener counted the attempt');
  } finally {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  }
});

const cases = corpusCases();

test('the corpus has at least 50 playbook and inventory cases', () => {
  assert.ok(cases.filter((c) => /^[01]\d\d-/.test(c)).length >= 50, `${cases.length} cases`);
});

for (const name of cases) {
  test(`corpus ${name}`, async () => {
    const expected = readExpectation(name);
    const before = counter.attempts;
    const outcome = await runCorpusCase(name, expected.args, counter.port);
    const shown = `\n${outcome.stderr}${outcome.stdout}`.slice(0, 3000);
    assert.is(outcome.exit, expected.exit, `exit code${shown}`);
    assert.equal(outcome.codes, expected.codes, `error codes${shown}`);
    assert.equal(outcome.positions, expected.positions, `positions${shown}`);
    assert.ok(expected.codes.length > 0, 'every case expects at least one error code');
    assert.is(counter.attempts - before, 0, 'no connection to any host');
  });
}

test.run();
