import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { main } from '../../../interpreter/cli.js';
import { packageRoot } from '../../../interpreter/package-root.js';

/** `--limit <node>` is the node and the containers reached through it; a container limit stays a container. */
const PHOENIX = packageRoot(import.meta.url)!;
const SITE = join(PHOENIX, 'playbooks', 'site.yml');
const EXAMPLE_INVENTORY = join(PHOENIX, 'inventory');

async function listHosts(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['run', SITE, '-i', EXAMPLE_INVENTORY, '--list-hosts', ...args], {
    stdout: { write: (s: string) => { out += s; } }, stderr: { write: (s: string) => { err += s; } },
  });
  return { code, out, err };
}

/** The hosts each play lists, by play number. */
function playHosts(out: string): string[][] {
  return out.split(/\n\s*play #\d+/).slice(1).map((block) => [...block.matchAll(/^ {6}(\S+)$/gm)].map((m) => m[1]!));
}

test('--limit pve1: the node, then every container it holds, and a notice saying so', async () => {
  const r = await listHosts('--limit', 'pve1');
  assert.is(r.code, 0, r.err);
  assert.equal(playHosts(r.out), [['pve1'], ['ct900', 'ct901', 'ct902', 'ct903', 'ct950']]);
  assert.is(r.err, '--limit pve1: node pve1 with its containers ct900, ct901, ct902, ct903, ct950\n');
});

test('--limit ct950: only that container; its node is not added', async () => {
  const r = await listHosts('--limit', 'ct950');
  assert.is(r.code, 0, r.err);
  assert.equal(playHosts(r.out), [[], ['ct950']]);
  assert.is(r.err, '');
});

test.run();
