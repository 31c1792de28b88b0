import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { main } from '../../interpreter/cli.js';

/**
 * Runs every recorded case under phoenix and compares exit code, recap and per-task statuses with what
 * ansible-playbook produced for the same files (test/conformance/record.sh re-records them).
 */
const casesDir = resolve('test/conformance/cases');

interface Expected {
  rc: number;
  stats?: Record<string, Record<string, number>>;
  tasks?: Array<{ play: string; name: string; hosts: Record<string, string> }>;
  stdout?: string[];
}

interface CaseSpec {
  args: string[];
  phoenix_args?: string[];
  /** A deliberate, documented difference from ansible-playbook (README, "Where phoenix differs"). */
  phoenix?: { rc: number; difference: string };
}

for (const name of existsSync(casesDir) ? readdirSync(casesDir).sort() : []) {
  const dir = join(casesDir, name);
  if (!existsSync(join(dir, 'expected.json'))) continue;
  test(`conformance ${name}`, async () => {
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
    const spec = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as CaseSpec;
    if (spec.phoenix) {
      assert.ok(spec.phoenix.difference.length > 20, 'a difference from Ansible says why');
      expected.rc = spec.phoenix.rc;
      expected.stdout = expected.stdout === undefined ? undefined : [];
    }
    const listing = expected.stdout !== undefined;
    const { code, stdout, stderr } = await runCase(dir, [...spec.args, ...(listing ? [] : ['--json'])]);
    assert.is(code, expected.rc, `exit code of ${name}\n${stderr.slice(0, 2000)}${stdout.slice(0, 2000)}`);
    if (listing) {
      assert.equal(normaliseListing(stdout), expected.stdout);
      return;
    }
    if (expected.rc === 4 || expected.rc === 1 || expected.rc === 5) return;
    const doc = JSON.parse(stdout) as { plays: Array<{ play: { name: string }; tasks: Array<{ task: { name: string }; hosts: Record<string, { status: string; ignored?: boolean }> }> }>; stats: Expected['stats'] };
    assert.equal(doc.stats, expected.stats, `recap of ${name}`);
    if (expected.tasks) assert.equal(flattenTasks(doc, expected.tasks), expected.tasks, `task statuses of ${name}`);
  });
}

async function runCase(dir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const work = mkdtempSync(join(tmpdir(), 'phoenix-conf-'));
  cpSync(dir, work, { recursive: true });
  const cwd = process.cwd();
  let stdout = '';
  let stderr = '';
  process.chdir(work);
  try {
    const code = await main(['run', 'playbook.yml', '-i', 'inventory.yml', ...args], {
      stdout: { write: (s: string) => { stdout += s; } },
      stderr: { write: (s: string) => { stderr += s; } },
    });
    return { code, stdout, stderr };
  } finally {
    process.chdir(cwd);
    rmSync(work, { recursive: true, force: true });
    rmSync(join('/tmp/phoenix-conf'), { recursive: true, force: true });
  }
}

/** Same normalisation as the recorder: no blank lines, host lists sorted. */
function normaliseListing(stdout: string): string[] {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    out.push(lines[i]);
    if (/^\s+hosts \(\d+\):$/.test(lines[i])) {
      const hosts: string[] = [];
      while (i + 1 < lines.length && /^ {6}\S/.test(lines[i + 1])) hosts.push(lines[++i]);
      out.push(...hosts.sort());
    }
  }
  return out;
}

type HostEntry = { status: string; ignored?: boolean; items?: Array<{ status: string }> };
type JsonDoc = { plays: Array<{ play: { name: string }; tasks: Array<{ task: { name: string }; hosts: Record<string, HostEntry> }> }> };

/** The run as the recorder saw it; per-item statuses only where the recording has them. */
function flattenTasks(doc: JsonDoc, expected: NonNullable<Expected['tasks']>) {
  const tasks = doc.plays.flatMap((p) => p.tasks.map((t) => ({ play: p.play.name, name: t.task.name, hosts: t.hosts })));
  return tasks.map((t, i) => {
    const out: Record<string, unknown> = {
      play: t.play,
      name: t.name,
      hosts: Object.fromEntries(Object.entries(t.hosts).map(([h, r]) => [h, status(r)])),
    };
    if (expected[i] && 'items' in expected[i]) {
      out.items = Object.fromEntries(Object.entries(t.hosts).map(([h, r]) => [h, (r.items ?? []).map(status)]));
    }
    return out;
  });
}

function status(r: { status: string; ignored?: boolean }): string {
  return r.ignored ? `${r.status}+ignored` : r.status;
}

test.run();
