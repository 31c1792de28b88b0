import { poolModuleContext } from '../support/module-context.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ConnectionPool } from '../../interpreter/connection/pool.js';
import { labNode, onNode } from '../../lab/lab.js';
import { VE_RELEASES } from '../../lab/paths.js';
import { findModule } from '../../modules/registry.js';
import { runModule, type Outcome } from '../support/module-context.js';
import { setupOnce } from '../support/setup-once.js';
import { LabLease, announceSkip, labNodeVars, labPool, labSkipReason } from './fixture.js';

/**
 * Issue 14: a Proxmox VE 8 node and a VE 9 node side by side (one private node each). What differs on Debian 13 is
 * there for real: its os-release, deb822-only apt sources, the Proxmox package versions, apt 3 with sqv; and
 * phoenix's answers to it: `setup` names the release, `apt_repo format: auto` writes a one-line .list on VE 8 and a
 * deb822 .sources on VE 9, which apt on each node then accepts.
 */
const test = suite('lab: Proxmox VE 8 and VE 9 nodes');
const lab = new LabLease();
const skip = labSkipReason();
let pool: ConnectionPool;
let dispose = async (): Promise<void> => undefined;
let nodes: Record<8 | 9, string> = { 8: '', 9: '' };

setupOnce(test, async () => {
  if (skip) return;
  await lab.acquire({ privateNodes: [8, 9] });
  nodes = { 8: lab.nodes[0]!, 9: lab.nodes[1]! };
  ({ pool, dispose } = labPool((host) => labNodeVars(lab, host)));
});

test.after(async () => {
  if (skip) return;
  await dispose();
  await lab.release();
});

async function run(host: string, module: string, args: Record<string, unknown>, check = false): Promise<Outcome> {
  return runModule(findModule(module)!, args, await poolModuleContext(pool, host, { check, diff: true }));
}

test('each node is the Debian and the Proxmox VE it stands in for', async () => {
  if (skip) return announceSkip('test/lab/ve.test.ts', skip);
  for (const ve of [8, 9] as const) {
    const node = nodes[ve];
    assert.is(labNode(node).ve, ve);
    const release = VE_RELEASES[ve];
    const r = await onNode(node, '. /etc/os-release; echo "$VERSION_ID $VERSION_CODENAME"; ' +
      "dpkg-query -W -f='${Package} ${Version}\\n' pve-manager pve-container");
    assert.is(r.stdout, `${release.debian} ${release.suite}\npve-container ${release.pveContainer}\npve-manager ${release.pveManager}\n`, r.stderr);
  }
  // Debian 13 as installed: one deb822 file, no sources.list; apt 3 checks signatures with sqv.
  const trixie = await onNode(nodes[9], 'ls /etc/apt/sources.list /etc/apt/sources.list.d 2>&1; apt --version; command -v sqv');
  assert.match(trixie.stdout, /No such file or directory/);
  assert.match(trixie.stdout, /^debian\.sources$/m);
  assert.match(trixie.stdout, /^apt 3\./m);
  assert.match(trixie.stdout, /^\/usr\/bin\/sqv$/m);
});

test('setup: the facts name each node\'s Debian release, read over SSH', async () => {
  if (skip) return;
  for (const ve of [8, 9] as const) {
    const got = await run(nodes[ve], 'setup', {});
    assert.is(got.status, 'ok', got.msg);
    const facts = got.facts ?? {};
    const release = VE_RELEASES[ve];
    assert.is(facts.ansible_distribution, 'Debian');
    assert.is(facts.ansible_os_family, 'Debian');
    assert.is(facts.ansible_distribution_release, release.suite);
    assert.is(facts.ansible_distribution_major_version, String(release.debian));
    assert.match(String(facts.ansible_distribution_version), new RegExp(`^${release.debian}\\.\\d+$`));
    assert.is(facts.ansible_hostname, nodes[ve]);
  }
});

test('apt_repo format auto: one-line .list on VE 8, deb822 .sources on VE 9; apt accepts both; a re-run is ok', async () => {
  if (skip) return;
  const cuda = lab.info.artifacts!.apt.cuda;
  const base = lab.info.artifacts!.url;
  for (const [ve, own, other] of [[8, 'cuda.list', 'cuda.sources'], [9, 'cuda.sources', 'cuda.list']] as const) {
    const node = nodes[ve];
    const uri = `${base}/cuda/repos/debian${VE_RELEASES[ve].debian}/x86_64/`;
    const args = { name: 'cuda', uri, key_url: `${uri}${cuda.keyArmored.split('/').pop()}`, keyring: '/usr/share/keyrings/cuda-archive-keyring.gpg',
      format: 'auto', update_cache: false };
    const check = await run(node, 'apt_repo', args, true);
    assert.is(check.status, 'changed', check.msg);
    const summaries = check.changes.map((c) => c.summary);
    assert.ok(summaries.includes(`create /etc/apt/sources.list.d/${own}`), `${node}: ${summaries}`);
    const first = await run(node, 'apt_repo', args);
    assert.is(first.status, 'changed', first.msg);
    const files = await onNode(node, 'cat "/etc/apt/sources.list.d/$1"; ls /etc/apt/sources.list.d/', own);
    const entry = ve === 8 ? `deb [signed-by=/usr/share/keyrings/cuda-archive-keyring.gpg] ${uri} /`
      : `Types: deb\nURIs: ${uri}\nSuites: /\nSigned-By: /usr/share/keyrings/cuda-archive-keyring.gpg`;
    assert.ok(files.stdout.includes(entry), `${node}: ${files.stdout}`);
    assert.not.ok(files.stdout.includes(other), `${node}: only ${own}`);
    const update = await onNode(node, 'apt-get update -o Dir::Etc::sourcelist="/etc/apt/sources.list.d/$1" -o Dir::Etc::sourceparts=- ' +
      '-o APT::Get::List-Cleanup=0 2>&1', own);
    assert.is(update.rc, 0, update.stdout);
    assert.not.match(update.stdout, /^(W|E):/m, update.stdout);
    const again = await run(node, 'apt_repo', args);
    assert.is(again.status, 'ok', again.msg);
    assert.match(again.reason ?? '', ve === 9 ? 'format deb822: apt 3.' : 'format list: apt 2.');
  }
});

test.run();
