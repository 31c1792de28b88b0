import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CommandResult, RunOptions } from '../../../interpreter/connection/types.js';
import { findModule } from '../../../modules/registry.js';
import type { ModuleContext } from '../../../modules/types.js';
import { FixtureConnection, readFixtureFile, type FixtureResponse } from '../../support/fixture-connection.js';
import { argumentErrors, removeDir, runModule, tempDir, type Outcome } from '../../support/module-context.js';

/**
 * Fixture cases for modules that drive what this machine cannot run (the NVIDIA driver, Proxmox's pct):
 * `test/modules/<module>/cases/<case>.json`, each host answering with captured outputs (FixtureConnection).
 * Cases live in `cases/` because test/modules/cases.test.ts runs every `<module>/*.json` against a LocalConnection.
 *
 * A case: `args`, `vars`, `check` (default true: check mode only; false: check mode, then apply), `target` (the task's
 * host, default "target"), `hosts` (name → responses; `ctx.connect(name)` reaches the others), `files` (name → path →
 * content for `get`), `controller` (files the controller holds, relative paths), `expect`: status, reason, msg
 * (substring), changes (summaries, in order), data (subset), ran / notRan (host → regexes of commands), written
 * (host → paths put). A response may carry `times` (answers that many commands, then steps aside for the next match)
 * and `detect` (sections of nvidia_run's detection command, each a text or a `shared:`/`file:` reference).
 */
interface CaseResponse extends FixtureResponse {
  times?: number;
  detect?: Record<string, string | string[]>;
}

interface FixtureCase {
  args: Record<string, unknown>;
  vars?: Record<string, unknown>;
  check?: boolean;
  target?: string;
  hosts: Record<string, CaseResponse[]>;
  files?: Record<string, Record<string, string | null>>;
  controller?: Record<string, string>;
  expect: {
    status: Outcome['status'];
    reason?: string;
    msg?: string;
    changes?: string[];
    data?: Record<string, unknown>;
    ran?: Record<string, string[]>;
    notRan?: Record<string, string[]>;
    written?: Record<string, string[]>;
  };
}

/** FixtureConnection whose responses may answer only `times` commands (a state before and after an install). */
class SequencedConnection extends FixtureConnection {
  constructor(host: string, private readonly list: CaseResponse[], files: Record<string, string | null>) {
    super(host, list, files);
  }

  override async run(command: string, _options?: RunOptions): Promise<CommandResult> {
    const result = await super.run(command);
    const i = this.list.findIndex((r) => new RegExp(r.match, 's').test(command));
    const r = this.list[i]!;
    if (r.times !== undefined && --r.times <= 0) this.list.splice(i, 1);
    return result;
  }
}

function text(value: string): string {
  return /^(shared|file):/.test(value) ? readFixtureFile(value) : value;
}

/** The stdout of nvidia_run's detection command from named sections. */
function detectStdout(sections: Record<string, string | string[]>): string {
  return ['proc', 'installer', 'smi', 'lib', 'modprobe'].map((name) => {
    const value = sections[name];
    const body = value === undefined ? '' : Array.isArray(value) ? value.map((v) => `${v}\n`).join('') : text(value);
    return `@${name}\n${body && !body.endsWith('\n') ? `${body}\n` : body}`;
  }).join('');
}

function connections(c: FixtureCase): Map<string, SequencedConnection> {
  const out = new Map<string, SequencedConnection>();
  for (const [host, responses] of Object.entries(c.hosts)) {
    const list = responses.map((r) => (r.detect ? { ...r, stdout: detectStdout(r.detect) } : { ...r }));
    out.set(host, new SequencedConnection(host, list, c.files?.[host] ?? {}));
  }
  return out;
}

function context(c: FixtureCase, conns: Map<string, SequencedConnection>, check: boolean, baseDir: string): ModuleContext {
  const host = c.target ?? 'target';
  const conn = conns.get(host);
  if (!conn) throw new Error(`no responses for the target host ${host}`);
  return {
    host, conn, check, diff: true, vars: c.vars ?? {}, env: {},
    async connect(name) {
      const other = conns.get(name);
      if (!other) throw new Error(`the case has no host ${name}`);
      return other;
    },
    resolvePath: (p) => (isAbsolute(p) ? p : join(baseDir, p)),
    renderTemplate: () => { throw new Error('not in fixture cases'); },
    evaluate: () => { throw new Error('not in fixture cases'); },
    log: () => undefined,
    progress: () => undefined,
  };
}

function checkCommands(conns: Map<string, SequencedConnection>, c: FixtureCase, label: string): void {
  for (const [host, patterns] of Object.entries(c.expect.ran ?? {})) {
    const ran = conns.get(host)!.commands;
    for (const p of patterns) assert.ok(ran.some((cmd) => new RegExp(p, 's').test(cmd)), `${label}: ${host} ran /${p}/ in:\n${ran.join('\n')}`);
  }
  for (const [host, patterns] of Object.entries(c.expect.notRan ?? {})) {
    const ran = conns.get(host)!.commands;
    for (const p of patterns) assert.not.ok(ran.some((cmd) => new RegExp(p, 's').test(cmd)), `${label}: ${host} must not run /${p}/`);
  }
  for (const [host, paths] of Object.entries(c.expect.written ?? {})) {
    const written = [...conns.get(host)!.written.keys()];
    for (const p of paths) assert.ok(written.some((w) => new RegExp(p).test(w)), `${label}: ${host} wrote /${p}/ (wrote ${written.join(', ')})`);
  }
}

function checkOutcome(got: Outcome, want: FixtureCase['expect'], label: string): void {
  assert.is(got.status, want.status, `${label}: status (msg: ${got.msg}, reason: ${got.reason}, changes: ${got.changes.map((c) => c.summary).join(' | ')})`);
  if (want.status === 'ok') assert.ok(got.reason, `${label}: an ok result has a reason`);
  if (want.reason !== undefined) assert.is(got.reason, want.reason, `${label}: reason`);
  if (want.msg !== undefined) assert.ok(got.msg?.includes(want.msg), `${label}: msg ${JSON.stringify(got.msg)} includes ${JSON.stringify(want.msg)}`);
  if (want.changes) assert.equal(got.changes.map((c) => c.summary), want.changes, `${label}: changes`);
  for (const [key, value] of Object.entries(want.data ?? {})) assert.equal(got.data[key], value, `${label}: data.${key}`);
}

async function runCase(module: string, label: string, c: FixtureCase): Promise<void> {
  const mod = findModule(module);
  assert.ok(mod, `${module} is registered`);
  const baseDir = await tempDir('phoenix-fixture-');
  try {
    for (const [name, content] of Object.entries(c.controller ?? {})) {
      await mkdir(dirname(join(baseDir, name)), { recursive: true });
      await writeFile(join(baseDir, name), content);
    }
    const problems = argumentErrors(mod!, c.args);
    if (problems.length) {
      // Bad arguments fail as the executor fails them (its schema check, also at load time for literals): no module code runs.
      checkOutcome({ status: 'failed', msg: `${mod!.name}: ${problems.join('; ')}`, changes: [], diffs: [], data: {} }, c.expect, label);
      return;
    }
    const checkConns = connections(c);
    const checked = await runModule(mod!, c.args, context(c, checkConns, true, baseDir));
    for (const conn of checkConns.values()) assert.equal(conn.written.size, 0, `${label}: check mode wrote nothing on ${conn.host}`);
    if (c.check !== false) {
      checkOutcome(checked, c.expect, `${label} (check)`);
      checkCommands(checkConns, c, `${label} (check)`);
      return;
    }
    const conns = connections(c);
    const got = await runModule(mod!, c.args, context(c, conns, false, baseDir));
    checkOutcome(got, c.expect, label);
    if (got.status !== 'failed') {
      assert.equal(checked.changes.map((x) => x.summary), got.changes.map((x) => x.summary), `${label}: check mode predicted the changes`);
    }
    checkCommands(conns, c, label);
  } finally {
    await removeDir(baseDir);
  }
}

/** Registers one uvu test per `test/modules/<module>/cases/*.json`. */
export async function registerFixtureCases(module: string): Promise<void> {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '../../../../test/modules', module, 'cases');
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.json')).sort()) {
    test(`${module} case ${name}`, async () => {
      const spec = JSON.parse(await readFile(join(dir, name), 'utf8')) as FixtureCase;
      await runCase(module, `${module}/cases/${name}`, spec);
    });
  }
}

export { test as fixtureSuite };
