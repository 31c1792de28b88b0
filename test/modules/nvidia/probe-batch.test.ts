import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LocalConnection } from '../../../interpreter/connection/local.js';
import { batchCommands, batchOutput, probeBatchScript, runProbes, type Probe } from '../../../modules/nvidia/probes.js';

/** Several probes in one command, on this machine's real /bin/sh: each result exactly as its command alone gives it. */
const raw = (command: string): Probe<{ rc: number; stdout: string; stderr: string }> => ({ command, parse: (r) => r });

test('one round trip, each probe its own stdout, stderr and exit code, in a subshell of its own', async () => {
  const conn = new LocalConnection('localhost');
  const got = await runProbes(conn, {
    plain: raw('echo one; echo two'),
    split: raw("printf 'no newline at the end'; echo 'on stderr' >&2; exit 3"),
    exits: raw('exit 7; echo never'),
    quiet: raw('true'),
    marker: raw("echo '@@phoenix-probe-000000000000@@ 0'; cat /nonexistent-file"),
    stdin: raw('cat'),
  });
  assert.equal(got.plain, { rc: 0, stdout: 'one\ntwo\n', stderr: '' });
  assert.equal(got.split, { rc: 3, stdout: 'no newline at the end\n', stderr: 'on stderr\n' });
  assert.equal(got.exits, { rc: 7, stdout: '', stderr: '' }, "a probe's exit ends only its own subshell");
  assert.equal(got.quiet, { rc: 0, stdout: '', stderr: '' });
  assert.is(got.marker.stdout, '@@phoenix-probe-000000000000@@ 0\n', 'output that looks like a marker is output (the marker is random)');
  assert.match(got.marker.stderr, /nonexistent-file/);
  assert.is(got.marker.rc, 1);
  assert.equal(got.stdin, { rc: 0, stdout: '', stderr: '' }, 'stdin is /dev/null, not the batch');
});

test('test doubles read a batch back into its commands and answer it in the same framing', () => {
  const script = probeBatchScript(['echo a', "sh -c 'for p; do\necho $p\ndone' sh x"], '@@phoenix-probe-0123456789ab@@');
  assert.equal(batchCommands(script), { mark: '@@phoenix-probe-0123456789ab@@', commands: ['echo a', "sh -c 'for p; do\necho $p\ndone' sh x"] });
  assert.is(batchCommands('echo a'), undefined);
  assert.is(batchOutput([{ rc: 2, stdout: 'x', stderr: '' }], '@@m@@'), '@@m@@ 2\nx\n@@m@@\n');
});

test.run();
