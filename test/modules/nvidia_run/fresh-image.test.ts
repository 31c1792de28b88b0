import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nvidiaRun } from '../../../modules/nvidia_run.js';
import { announceSkip } from '../../lab/fixture.js';
import { moduleContext, runModule } from '../../support/module-context.js';
import { PrivateApt, privateAptSkipReason } from '../apt/private-apt.js';

// Issue 11: on a fresh Debian image without kmod there is no /etc/modprobe.d, and the host play failed writing the
// nouveau blacklist. Here: this machine's real shell and tools in a private mount namespace (/etc, /usr, /var are
// overlays, see ../apt/private-apt.ts) with /etc/modprobe.d and the cache's parents removed; host-mode planning
// must list the directories it will create, in its existing probes (no extra command), and create nothing.
const VERSION = '580.76.05';
// A name nobody else uses (this machine's /var is the namespace's lower layer): absent without removing anything.
const TOP = `/var/cache/phoenix-dirs-test-${process.pid}`;
const CACHE = `${TOP}/nvidia/cache`;

const reason = privateAptSkipReason();
if (reason) announceSkip('test/modules/nvidia_run/fresh-image.test.ts', reason);
else {
  test('host mode on an image without /etc/modprobe.d: check mode lists both directory sets, creates nothing', async () => {
    const host = await PrivateApt.start();
    try {
      await host.must(`rm -rf /etc/modprobe.d; ! test -e ${TOP}`);
      const args = {
        mode: 'host', version: VERSION, install_build_deps: false, cache_dir: CACHE,
        url: `https://example.invalid/${VERSION}/NVIDIA-Linux-x86_64-${VERSION}.run`,
      };
      const commands = host.commands;
      const got = await runModule(nvidiaRun, args, { ...moduleContext({ check: true, diff: true }), conn: host });
      // cache probe, prereqs, driver detection, the blacklist read: what planning cost before (no directory probe).
      assert.is(host.commands - commands, 4, 'the directories came with the existing probes');
      assert.is(got.status, 'changed', got.msg);
      const summaries = got.changes.map((c) => c.summary);
      assert.equal(summaries.filter((s) => s.startsWith('create directory')), [
        `create directory ${TOP} (0755 root:root)`,
        `create directory ${TOP}/nvidia (0755 root:root)`,
        `create directory ${CACHE} (0755 root:root)`,
        'create directory /etc/modprobe.d (0755 root:root)',
      ]);
      const blacklistDir = summaries.indexOf('create directory /etc/modprobe.d (0755 root:root)');
      assert.is(summaries[blacklistDir + 1], 'write /etc/modprobe.d/blacklist-nouveau.conf and update the initramfs');
      assert.ok(got.diffs.some((d) => d.path === '/etc/modprobe.d' && d.after.includes('"state": "directory"')), 'a state diff');
      assert.is((await host.run(`test -e /etc/modprobe.d || test -e ${TOP}`)).rc, 1, 'nothing created');
    } finally {
      await host.close();
    }
  });
  test.run();
}
