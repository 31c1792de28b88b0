import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { shellCommand } from '../../../interpreter/connection/quote.js';
import { nvidiaRun } from '../../../modules/nvidia_run.js';
import { moduleContext, removeDir, runModule, tempDir } from '../../support/module-context.js';

// Every nvidia_run argument that reaches a shell, hostile, planned for real on this machine (read-only probes):
// nothing runs, and the change names the installer command with each argument as one word.
const HOSTILE = [`q'uote`, `d"q`, '$(touch canary1)', '`touch canary2`', 'semi;touch canary3', 'new\nline', '$HOME*?[a]'];
const V = '580.159.04';

test('host mode check with hostile cache_dir, flags, extra_flags, tmpdir and url query', async () => {
  const dir = await tempDir();
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    for (const bad of HOSTILE) {
      const cacheDir = join(dir, bad);
      const args = {
        mode: 'host', version: V, url: `http://127.0.0.1:9/x/NVIDIA-Linux-x86_64-${V}.run?q=$(touch${'$'}{IFS}canary1)`,
        cache_dir: cacheDir, flags: [bad], extra_flags: [`--log-file-name=${bad}`], tmpdir: `/${bad}`, install_build_deps: false,
      };
      const r = await runModule(nvidiaRun, args, moduleContext({ check: true }));
      assert.is(r.status, 'changed', r.msg);
      const command = shellCommand('sh', `${cacheDir}/NVIDIA-Linux-x86_64-${V}.run`, bad, `--log-file-name=${bad}`, '--tmpdir', `/${bad}`);
      assert.ok(r.changes.some((c) => c.summary.endsWith(`: ${command}`)), `${JSON.stringify(bad)}: ${r.changes.map((c) => c.summary).join(' | ')}`);
      assert.is(r.data.installer_command, command);
      for (const n of [1, 2, 3]) assert.not.ok(existsSync(join(dir, `canary${n}`)), `canary${n} after ${JSON.stringify(bad)}`);
      assert.not.ok(existsSync(cacheDir), 'check mode created nothing');
    }
  } finally {
    process.chdir(cwd);
    await removeDir(dir);
  }
});

test('a url whose file is another version, or no file at all, is refused', async () => {
  const other = await runModule(nvidiaRun, { mode: 'host', version: V, url: 'https://x/NVIDIA-Linux-x86_64-580.76.05.run' }, moduleContext({ check: true }));
  assert.is(other.status, 'failed');
  assert.match(other.msg ?? '', 'which is not driver 580.159.04');
  const none = await runModule(nvidiaRun, { mode: 'host', version: V, url: `https://x/${V}/%2e%2e` }, moduleContext({ check: true }));
  assert.is(none.status, 'failed');
});

test.run();
