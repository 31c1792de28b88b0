import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LocalConnection } from '../../../interpreter/connection/local.js';
import { shellCommand } from '../../../interpreter/connection/quote.js';
import { PlannedState } from '../../../interpreter/executor/planned-state.js';
import { apt } from '../../../modules/apt.js';
import { parseDpkgStatusFile } from '../../../modules/apt/dpkg.js';
import { osTemplateView, templatePathCommand } from '../../../modules/common/os-template.js';
import { moduleContext, removeDir, tempDir } from '../../support/module-context.js';

/**
 * Check mode inside a container that does not exist yet: files read out of its OS template, a real tar.zst made
 * here (as `pveam` stores them), and apt planned against the template's package database.
 */
const STATUS = [
  'Package: curl\nStatus: install ok installed\nVersion: 7.88.1-10+deb12u14\nArchitecture: amd64\n',
  'Package: gnupg\nStatus: deinstall ok config-files\nVersion: 2.2.40-1.1\n',
  'Package: ca-certificates\nStatus: install ok installed\nVersion: 20230311\nDescription: Common CA certificates\n multi-line\n',
].join('\n');

let dir = '';
let template = '';
const node = new LocalConnection('pve1');

test.before(async () => {
  dir = await tempDir('phoenix-os-template-');
  await mkdir(join(dir, 'root/var/lib/dpkg'), { recursive: true });
  await writeFile(join(dir, 'root/var/lib/dpkg/status'), STATUS);
  template = join(dir, 'ubuntu-24.04-standard_24.04-2_amd64.tar.zst');
  const made = await node.run(shellCommand('tar', '-C', join(dir, 'root'), '--zstd', '-cf', template, './var/lib/dpkg/status'));
  assert.is(made.rc, 0, made.stderr);
});
test.after(() => removeDir(dir));

test('dpkg status stanzas parse like dpkg-query lines', () => {
  const packages = parseDpkgStatusFile(STATUS);
  assert.ok(packages.get('curl')?.installed);
  assert.is(packages.get('curl')?.version, '7.88.1-10+deb12u14');
  assert.not.ok(packages.get('gnupg')?.installed, 'config-files is not installed');
  assert.ok(packages.get('gnupg')?.present);
  assert.ok(packages.get('ca-certificates')?.installed);
});

test('a template file is read once per run; a missing member or template reads as null', async () => {
  const planned = new PlannedState();
  const view = osTemplateView(node, template, planned);
  assert.is((await view.read('/var/lib/dpkg/status'))?.toString(), STATUS);
  assert.is(planned.get<Buffer>('os-template', `pve1:${template}:/var/lib/dpkg/status`)?.toString(), STATUS, 'kept for the run');
  assert.is(await view.read('/etc/hostname'), null);
  assert.is(await osTemplateView(node, join(dir, 'missing.tar.zst')).read('/var/lib/dpkg/status'), null);
});

test("a volume id of storage local resolves to PVE's template directory when pvesm cannot answer", async () => {
  const r = await node.run(`PATH=/nonexistent; ${templatePathCommand('local:vztmpl/debian-12.tar.zst')}`);
  assert.is(r.stdout.trim(), '/var/lib/vz/template/cache/debian-12.tar.zst');
  assert.is((await node.run(templatePathCommand('/srv/t.tar.zst'))).stdout.trim(), '/srv/t.tar.zst');
});

test("apt plans against the template's packages: installed ones are ok, missing ones are installed", async () => {
  const ctx = { ...moduleContext({ check: true }), conn: node };
  const view = osTemplateView(node, template);
  const fine = await apt.planFromTemplate!(ctx, { name: ['curl', 'ca-certificates'], update_cache: true }, view);
  assert.equal(fine?.changes, []);
  assert.match(fine?.reason ?? '', /curl 7\.88\.1-10\+deb12u14 installed/);
  const missing = await apt.planFromTemplate!(ctx, { name: ['curl', 'gnupg', 'docker-ce'], update_cache: true }, view);
  assert.equal(missing?.changes.map((c) => c.summary), ['update the apt cache (apt-get update)', 'install gnupg', 'install docker-ce']);
  assert.is(await apt.planFromTemplate!(ctx, { name: 'curl' }, osTemplateView(node, join(dir, 'none.tar.zst'))), undefined, 'no template: cannot tell');
  assert.is(await apt.planFromTemplate!(ctx, { name: 'curl', state: 'latest' }, view), undefined, 'latest needs the repositories');
});

test.run();
