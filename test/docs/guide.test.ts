import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { findModule } from '../../modules/registry.js';

/** The guide names modules and tasks on `> phoenix:` lines; each must exist, with that module, in that file. */
const guide = readFileSync(resolve('docs/NVIDIA_CUDA_Installation_Guide.md'), 'utf8');
const REF = /^\s*> phoenix: module `([\w.]+)`, task "([^"]+)" in (\S+)$/;
const references = guide.split('\n').filter((l) => l.trim().startsWith('> phoenix:'));

type Task = Record<string, unknown>;

function tasksOf(file: string): Task[] {
  const doc = parse(readFileSync(resolve(file), 'utf8')) as unknown[];
  const out: Task[] = [];
  const visit = (items: unknown): void => {
    if (!Array.isArray(items)) return;
    for (const item of items as Task[]) {
      out.push(item);
      for (const key of ['tasks', 'pre_tasks', 'post_tasks', 'handlers', 'block', 'rescue', 'always']) visit(item[key]);
    }
  };
  visit(doc);
  return out;
}

test('the guide references at least every site.yml phase', () => {
  assert.ok(references.length >= 15, `only ${references.length} references`);
});

for (const line of references) {
  test(`guide: ${line.trim().slice(11, 90)}`, () => {
    const match = REF.exec(line);
    assert.ok(match, `a reference reads: > phoenix: module \`NAME\`, task "NAME" in FILE — got: ${line}`);
    const [, module, name, file] = match!;
    if (module !== 'include_tasks') assert.ok(findModule(module), `module ${module} exists`);
    const task = tasksOf(file).find((t) => t.name === name);
    assert.ok(task, `task "${name}" exists in ${file}`);
    assert.ok(module in task!, `task "${name}" uses ${module}`);
  });
}

test.run();
