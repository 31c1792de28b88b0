import { chmod, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findModule } from '../../modules/registry.js';
import { moduleContext, removeDir, runModule, snapshotTree, tempDir, type Outcome } from '../support/module-context.js';

/**
 * One case per JSON file in test/modules/<module>/<case>.json. `@DIR@` in any string is the case's temp directory.
 * files: name → content string | {content, mode} | {link: target} | {dir: true, mode}.
 * expect: status, reason, msg, changes (summaries), diffs, data (subset), files (the tree after; omitted = unchanged).
 */
interface Case {
  module: string;
  args: Record<string, unknown>;
  files?: Record<string, FileSpec>;
  controller?: Record<string, string>;
  vars?: Record<string, unknown>;
  check?: boolean;
  /** Only root can chown to other users: such cases are skipped otherwise. */
  needsRoot?: boolean;
  /** false for modules that change every time (touch, command without creates). */
  idempotent?: boolean;
  expect: {
    status: Outcome['status'];
    reason?: string;
    msg?: string;
    changes?: string[];
    diffs?: Array<{ before: string; after: string }>;
    data?: Record<string, unknown>;
    files?: Record<string, FileSpec | null>;
  };
}

type FileSpec = string | { content?: string; mode?: string; link?: string; dir?: boolean };

const root = join(dirname(fileURLToPath(import.meta.url)), '../../../test/modules');

function substitute<T>(value: T, dir: string): T {
  return JSON.parse(JSON.stringify(value).replaceAll('@DIR@', dir)) as T;
}

async function create(dir: string, files: Record<string, FileSpec>): Promise<void> {
  for (const [name, spec] of Object.entries(files)) {
    const path = join(dir, name);
    await mkdir(dirname(path), { recursive: true });
    if (typeof spec === 'string') await writeFile(path, spec);
    else if (spec.link !== undefined) await symlink(spec.link, path);
    else if (spec.dir) await mkdir(path, { recursive: true });
    else await writeFile(path, spec.content ?? '');
    if (typeof spec !== 'string' && spec.mode) await chmod(path, parseInt(spec.mode, 8));
  }
}

async function expectFiles(dir: string, files: Record<string, FileSpec | null>, label: string): Promise<void> {
  for (const [name, spec] of Object.entries(files)) {
    const tree = await snapshotTree(dir);
    if (spec === null) {
      assert.not.ok(tree[name], `${label}: ${name} should not exist`);
      continue;
    }
    assert.ok(tree[name], `${label}: ${name} should exist`);
    if (typeof spec === 'string') assert.is(await readFile(join(dir, name), 'utf8'), spec, `${label}: content of ${name}`);
    else {
      if (spec.content !== undefined) assert.is(await readFile(join(dir, name), 'utf8'), spec.content, `${label}: content of ${name}`);
      if (spec.mode) assert.ok(tree[name].includes(` ${parseInt(spec.mode, 8).toString(8)}`), `${label}: mode of ${name} is ${tree[name]}`);
      if (spec.link !== undefined) assert.is(tree[name], `link ${spec.link}`, `${label}: ${name}`);
      if (spec.dir) assert.ok(tree[name].startsWith('dir'), `${label}: ${name} is a directory`);
    }
  }
}

/** The `after` text check mode showed for a file is what the real run wrote (state diffs of `file` are JSON). */
async function expectPredictedContent(checked: Outcome, label: string): Promise<void> {
  for (const diff of checked.diffs) {
    if (diff.after.startsWith('{\n    "')) continue;
    assert.is(await readFile(diff.path, 'utf8'), diff.after, `${label}: check mode predicted the content of ${diff.path}`);
  }
}

function checkOutcome(got: Outcome, want: Case['expect'], label: string): void {
  assert.is(got.status, want.status, `${label}: status (msg: ${got.msg}, reason: ${got.reason})`);
  if (want.reason !== undefined) assert.is(got.reason, want.reason, `${label}: reason`);
  if (want.status === 'ok') assert.ok(got.reason, `${label}: an ok result has a reason`);
  if (want.msg !== undefined) assert.is(got.msg, want.msg, `${label}: msg`);
  if (want.changes) assert.equal(got.changes.map((c) => c.summary), want.changes, `${label}: changes`);
  if (want.diffs) assert.equal(got.diffs.map((d) => ({ before: d.before, after: d.after })), want.diffs, `${label}: diffs`);
  for (const [key, value] of Object.entries(want.data ?? {})) assert.equal(got.data[key], value, `${label}: data.${key}`);
}

async function runCase(file: string, spec: Case): Promise<void> {
  const dir = await tempDir();
  try {
    const c = substitute(spec, dir);
    await create(dir, c.files ?? {});
    const baseDir = join(dir, '.controller');
    await create(baseDir, c.controller ?? {});
    const module = findModule(c.module);
    assert.ok(module, `${file}: module ${c.module} is registered`);
    const before = await snapshotTree(dir);
    const checked = await runModule(module!, c.args, moduleContext({ check: true, diff: true, vars: c.vars, baseDir }));
    assert.equal(await snapshotTree(dir), before, `${file}: check mode changed nothing`);
    if (c.check) {
      checkOutcome(checked, c.expect, `${file} (check)`);
      return;
    }
    const got = await runModule(module!, c.args, moduleContext({ diff: true, vars: c.vars, baseDir }));
    checkOutcome(got, c.expect, file);
    if (got.status === 'changed' || got.status === 'ok') {
      assert.equal(checked.changes.map((x) => x.summary), got.changes.map((x) => x.summary), `${file}: check mode predicted the changes`);
    }
    if (got.status === 'changed') await expectPredictedContent(checked, file);
    if (c.expect.files) await expectFiles(dir, c.expect.files, file);
    else if (got.status !== 'changed') assert.equal(await snapshotTree(dir), before, `${file}: nothing changed`);
    if (got.status === 'changed' && c.idempotent !== false) {
      const again = await runModule(module!, c.args, moduleContext({ vars: c.vars, baseDir }));
      assert.is(again.status, 'ok', `${file}: second run is ok (${again.changes.map((x) => x.summary).join('; ')})`);
      assert.ok(again.reason, `${file}: second run says why`);
    }
  } finally {
    await removeDir(dir);
  }
}

/** The modules whose case folders this runner reads; other modules' folders may hold cases of another shape. */
const GENERIC = ['command', 'copy', 'file', 'json_file', 'lineinfile', 'shell', 'stat', 'template'];

for (const module of GENERIC) {
  const names = await readdir(join(root, module)).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const file = `${module}/${name}`;
    test(`case ${file}`, async () => {
      const spec = JSON.parse(await readFile(join(root, module, name), 'utf8')) as Omit<Case, 'module'> & { module?: string };
      if (spec.needsRoot && process.getuid?.() !== 0) return;
      await runCase(file, { module, ...spec });
    });
  }
}

test.run();
