import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LocalConnection } from '../../../interpreter/connection/local.js';
import { CONTAINER_FLAGS, HOST_FLAGS, installerCommand, installerFlags } from '../../../modules/nvidia_run/flags.js';

test('defaults per mode; flags replaces them, extra_flags and tmpdir are appended', () => {
  assert.equal(installerFlags('host', {}), [...HOST_FLAGS]);
  assert.equal(installerFlags('container', {}), [...CONTAINER_FLAGS]);
  assert.ok(CONTAINER_FLAGS.includes('--no-kernel-module') && !HOST_FLAGS.includes('--no-kernel-module'));
  assert.equal(installerFlags('host', { flags: ['-s'], extra_flags: ['--no-drm'], tmpdir: '/var/tmp' }), ['-s', '--no-drm', '--tmpdir', '/var/tmp']);
});

test('hostile flags reach the installer as single words and never run', async () => {
  const hostile = ["$(touch /tmp/pwned-nvrun)", '`id`', "a'b", 'x; rm -rf /', 'line\nbreak'];
  const cmd = installerCommand('/dev/null', hostile).replace(/^sh \/dev\/null/, 'printf "%s\\0"');
  const r = await new LocalConnection('here').run(cmd);
  assert.equal(r.stdout.split('\0').slice(0, -1), hostile);
});

test.run();
