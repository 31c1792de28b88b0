import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { shellCommand } from '../../../interpreter/connection/quote.js';
import { aptRepo } from '../../../modules/apt_repo.js';
import { announceSkip } from '../../lab/fixture.js';
import { argumentErrors, moduleContext, runModule, type Outcome } from '../../support/module-context.js';
import { PrivateApt, privateAptSkipReason } from '../apt/private-apt.js';

/**
 * apt_repo planning as data: one case per `cases/<case>.json`. The case's files are written into a private mount
 * namespace of this machine (real /etc/apt paths, real shell, real files; see ../apt/private-apt.ts), then the module
 * runs in check mode (which must change nothing and predict the changes), for real, and again (which must be ok with
 * a reason, in one remote command). update_cache is false unless a case sets it (no repository is served here; real-apt.test.ts has one).
 *
 * files: absolute path → content. args: the module's arguments; key_file resolves against cases/.
 * expect: status, reason, msg, changes (summaries in order), files (path → content after, or null when absent),
 * diffs (path → {before, after}). absentDirs: directories removed first (a fresh image without them); expect.dirs:
 * directory → `mode owner:group` after the run (check mode must not create them).
 */
interface Case {
  files?: Record<string, string>;
  absentDirs?: string[];
  args: Record<string, unknown>;
  check?: boolean;
  expect: {
    status: Outcome['status'];
    reason?: string;
    msg?: string;
    changes?: string[];
    files?: Record<string, string | null>;
    diffs?: Record<string, { before: string; after: string }>;
    dirs?: Record<string, string>;
  };
}

const dir = join(dirname(fileURLToPath(import.meta.url)), '../../../../test/modules/apt_repo/cases');
const WATCHED = '/etc/apt/sources.list /etc/apt/sources.list.d /etc/apt/preferences.d /usr/share/keyrings';

async function tree(host: PrivateApt): Promise<string> {
  return host.must(`find ${WATCHED} -type f 2>/dev/null | sort | xargs -r sha256sum`);
}

function context(host: PrivateApt, check: boolean) {
  return { ...moduleContext({ check, diff: true, baseDir: dir }), conn: host };
}

function checkOutcome(got: Outcome, want: Case['expect'], label: string): void {
  assert.is(got.status, want.status, `${label}: status (msg: ${got.msg}, reason: ${got.reason})`);
  if (want.status === 'ok') assert.ok(got.reason, `${label}: an ok result has a reason`);
  if (want.reason !== undefined) assert.is(got.reason, want.reason, `${label}: reason`);
  if (want.msg !== undefined) assert.is(got.msg, want.msg, `${label}: msg`);
  if (want.changes) assert.equal(got.changes.map((c) => c.summary), want.changes, `${label}: changes`);
  for (const [path, diff] of Object.entries(want.diffs ?? {})) {
    const d = got.diffs.find((x) => x.path === path);
    assert.ok(d, `${label}: a diff for ${path}`);
    assert.equal({ before: d!.before, after: d!.after }, diff, `${label}: diff of ${path}`);
  }
}

async function expectFiles(host: PrivateApt, files: Record<string, string | null>, label: string): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const got = await host.get(path);
    if (content === null) assert.is(got, null, `${label}: ${path} should not exist`);
    else assert.is(got?.toString('utf8'), content, `${label}: content of ${path}`);
  }
}

async function runCase(name: string, c: Case): Promise<void> {
  const host = await PrivateApt.start();
  try {
    if (c.absentDirs?.length) await host.must(shellCommand('rm', '-rf', '--', ...c.absentDirs));
    await host.writeFiles(c.files ?? {});
    const args = { update_cache: false, ...c.args };
    const problems = argumentErrors(aptRepo, args);
    if (problems.length) {
      // Bad arguments fail as the executor fails them (its schema check, also at load time for literals): no module code runs.
      return checkOutcome({ status: 'failed', msg: `apt_repo: ${problems.join('; ')}`, changes: [], diffs: [], data: {} }, c.expect, name);
    }
    const before = await tree(host);
    const checked = await runModule(aptRepo, args, context(host, true));
    assert.is(await tree(host), before, `${name}: check mode changed nothing`);
    for (const d of Object.keys(c.expect.dirs ?? {})) {
      assert.is((await host.run(shellCommand('test', '-e', d))).rc, 1, `${name}: check mode did not create ${d}`);
    }
    if (c.check) return checkOutcome(checked, c.expect, `${name} (check)`);
    const got = await runModule(aptRepo, args, context(host, false));
    checkOutcome(got, c.expect, name);
    if (got.status === 'failed') return;
    assert.equal(checked.changes.map((x) => x.summary), got.changes.map((x) => x.summary), `${name}: check mode predicted the changes`);
    // Keyrings are diffed by digest, directories by their state (the file module's JSON): neither is file content.
    for (const d of checked.diffs.filter((x) => x.after && !x.after.startsWith('sha256 ') && !x.after.startsWith('{\n    "'))) {
      assert.is((await host.get(d.path))?.toString('utf8'), d.after, `${name}: check mode predicted ${d.path}`);
    }
    await expectFiles(host, c.expect.files ?? {}, name);
    for (const [d, want] of Object.entries(c.expect.dirs ?? {})) {
      assert.is((await host.must(shellCommand('stat', '-c', '%a %U:%G', '--', d))).trim(), want, `${name}: ${d}`);
    }
    const commands = host.commands;
    const again = await runModule(aptRepo, args, context(host, false));
    assert.is(host.commands - commands, 1, `${name}: a no-op run is one command`);
    assert.is(again.status, 'ok', `${name}: second run is ok (${again.changes.map((x) => x.summary).join('; ')})`);
    assert.ok(again.reason, `${name}: second run says why`);
  } finally {
    await host.close();
  }
}

const reason = privateAptSkipReason();
if (reason) announceSkip('test/modules/apt_repo/cases.test.ts', reason);
else {
  for (const file of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    test(`apt_repo case ${file}`, async () => {
      await runCase(file, JSON.parse(readFileSync(join(dir, file), 'utf8')) as Case);
    });
  }
  test.run();
}
