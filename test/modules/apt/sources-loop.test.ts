import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseSourceLines, sourcesLoop } from '../../../modules/apt/repo-probe.js';

/** The sources read (shell builtins only) gives back each file exactly, run by this machine's /bin/sh. */
test('sources files come back byte for byte: no final newline, empty, blank lines, CRLF, tabs, backslashes, marker-like lines', () => {
  const root = mkdtempSync(join(tmpdir(), 'phoenix-sources-'));
  try {
    const dir = join(root, 'sources.list.d');
    mkdirSync(dir);
    const files: Record<string, string> = {
      [join(root, 'sources.list')]: 'deb http://a/ b main\n\n  # indented\t\ttabs\n',
      [join(dir, 'cuda.list')]: 'deb [signed-by=/k.gpg] http://x/cuda/ /',
      [join(dir, 'empty.list')]: '',
      [join(dir, 'newline.list')]: '\n',
      [join(dir, 'crlf.sources')]: 'Types: deb\r\nURIs: http://c/\r\n',
      [join(dir, 'odd.list')]: 'end\n|pipe\nfile /etc/x\n\\n back\\slash \\\n',
    };
    for (const [path, text] of Object.entries(files)) writeFileSync(path, text);
    writeFileSync(join(dir, 'ignored name.list'), 'apt skips names with a space\n');
    writeFileSync(join(dir, 'notes.txt'), 'not a sources file\n');
    const out = execFileSync('/bin/sh', ['-c', sourcesLoop(join(root, 'sources.list'), dir).join('\n')], { encoding: 'utf8' });
    const got = Object.fromEntries(parseSourceLines(out).map((f) => [f.path, f.text]));
    assert.equal(got, files);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('an unreadable sources file fails the read (exit 3) instead of reading as empty', () => {
  const root = mkdtempSync(join(tmpdir(), 'phoenix-sources-'));
  try {
    chmodSync(root, 0o755);
    const dir = join(root, 'd');
    mkdirSync(dir, { mode: 0o755 });
    writeFileSync(join(dir, 'secret.list'), 'deb http://a/ b main\n', { mode: 0o000 });
    const script = sourcesLoop(join(root, 'none'), dir).join('\n');
    let rc = 0;
    try {
      execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '/bin/sh', '-c', script], { stdio: 'pipe' });
    } catch (error) {
      rc = (error as { status: number }).status;
    }
    assert.is(rc, 3);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
