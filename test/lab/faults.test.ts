import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../interpreter/cli.js';
import { LabLease, announceSkip, labInventoryText, labSkipReason } from './fixture.js';
import { onNode, pct, startSshd, stopSshd } from '../../lab/lab.js';
import { setupOnce } from '../support/setup-once.js';

/**
 * Issue 7 faults on the lab, with two nodes of this file's own: a node's sshd killed mid-run (that host is
 * unreachable, the other finishes, a re-run completes, no half-written file), and two runs editing one container
 * config at the same moment (never interleaved: each edit is whole, a run that lost the race says so).
 */
const test = suite('faults on the lab: sshd killed mid-run, concurrent runs on one node');
const first = new LabLease();
const second = new LabLease();
const skip = labSkipReason();
let dir = '';
const CT = '770';

const PLAYBOOK = `
- hosts: proxmox
  gather_facts: false
  tasks:
    - name: first
      command: "true"
    - name: slow
      command: sleep 3
    - name: write a file
      copy:
        dest: "/root/phoenix-fault-{{ inventory_hostname }}"
        content: "written once\\n"
    - name: last
      command: "true"
`;

interface Doc { stats: Record<string, { ok: number; changed: number; unreachable: number; failed: number }> }

async function phoenix(playbook: string, args: string[] = []): Promise<{ code: number; doc?: Doc; stderr: string }> {
  let out = '';
  let err = '';
  const code = await main(['run', join(dir, playbook), '-i', join(dir, 'inventory.yml'), '--json', ...args], {
    stdout: { write: (s: string) => { out += s; } },
    stderr: { write: (s: string) => { err += s; } },
  });
  return { code, doc: out ? (JSON.parse(out) as Doc) : undefined, stderr: err };
}

function inventory(nodes: string[]): string {
  return labInventoryText(first, nodes);
}

setupOnce(test, async () => {
  if (skip) return;
  await first.acquire({ privateNode: true });
  await second.acquire({ privateNode: true });
  dir = mkdtempSync(join(tmpdir(), 'phoenix-faults-'));
  writeFileSync(join(dir, 'inventory.yml'), inventory([first.node, second.node]));
  writeFileSync(join(dir, 'slow.yml'), PLAYBOOK);
});

test.after(async () => {
  if (skip) return;
  await startSshd(first.node).catch(() => undefined);
  await second.release();
  await first.release();
  rmSync(dir, { recursive: true, force: true });
});

test('sshd killed mid-run: that node is unreachable, the other finishes, a re-run completes', async () => {
  if (skip) return announceSkip('test/lab/faults.test.ts', skip);
  const running = phoenix('slow.yml');
  await new Promise((r) => setTimeout(r, 1500));
  await stopSshd(first.node, { sessions: true });
  const cut = await running;
  assert.is(cut.code, 4, cut.stderr);
  assert.is(cut.doc!.stats[first.node].unreachable, 1);
  assert.equal(cut.doc!.stats[second.node], { ...cut.doc!.stats[second.node], ok: 4, failed: 0, unreachable: 0 });
  const leftover = await onNode(first.node, 'ls /root/ | grep -c phoenix || true');
  assert.is(leftover.stdout.trim(), '0', 'nothing half-written on the cut node');
  await startSshd(first.node);
  const rerun = await phoenix('slow.yml');
  assert.is(rerun.code, 0, rerun.stderr);
  assert.is(rerun.doc!.stats[first.node].failed + rerun.doc!.stats[first.node].unreachable, 0);
  assert.is(rerun.doc!.stats[second.node].changed, 3, 'the second node only re-runs its commands; its file is already there');
  assert.is((await onNode(first.node, 'cat /root/phoenix-fault-$1', first.node)).stdout, 'written once\n');
});

test('two runs edit one container config at the same moment: never interleaved', async () => {
  if (skip) return;
  writeFileSync(join(dir, 'inventory.yml'), inventory([second.node]));
  await pct(second.node, 'create', CT, 'local:vztmpl/debian.tar.zst', '--hostname', 'race');
  const edit = (gpus: string) => `- hosts: proxmox\n  gather_facts: false\n  tasks:\n    - name: passthrough\n      lxc_conf: { vmid: ${CT}, gpu_assignment: "${gpus}", style: raw }\n`;
  writeFileSync(join(dir, 'one.yml'), edit('0'));
  writeFileSync(join(dir, 'two.yml'), edit('0,1'));
  for (let round = 0; round < 5; round++) {
    const [a, b] = await Promise.all([phoenix('one.yml'), phoenix('two.yml')]);
    for (const r of [a, b]) assert.ok(r.code === 0 || /changed since it was read; run again/.test(JSON.stringify(r.doc) + r.stderr), `a lost race is refused clearly: ${r.stderr}`);
    const conf = (await onNode(second.node, 'cat /etc/pve/lxc/$1.conf', CT)).stdout;
    const gpuLines = conf.split('\n').filter((l) => /^lxc\.mount\.entry: \/dev\/nvidia\d/.test(l));
    assert.ok(gpuLines.length === 1 || gpuLines.length === 2, `one whole edit won: ${gpuLines.join(' | ')}`);
    assert.is(conf.split('\n').filter((l) => l === 'lxc.cgroup2.devices.allow: c 195:* rwm').length, 1, 'no line written twice');
    assert.match(conf, /^hostname: race$/m, 'the rest of the config is intact');
  }
  await pct(second.node, 'destroy', CT);
});

test.run();
