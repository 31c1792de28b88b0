import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileSchema } from '../../../interpreter/schema/compile-cache.js';

// A schema no other run has seen: the first compile writes the cache, the second loads the generated code.
const schema = () => ({
  type: 'object',
  properties: {
    tag: { const: randomTag },
    retries: { type: 'integer', default: 3 },
    state: { enum: ['present', 'absent'] },
  },
  required: ['tag'],
  additionalProperties: false,
});
const randomTag = randomUUID();

test('a cached validator coerces, fills defaults and reports errors like the freshly compiled one', () => {
  const fresh = compileSchema(schema());
  const cached = compileSchema(schema());
  for (const validate of [fresh, cached]) {
    const data: Record<string, unknown> = { tag: randomTag, state: 'present' };
    assert.ok(validate(data));
    assert.equal(data.retries, 3);
    const coerced: Record<string, unknown> = { tag: randomTag, retries: '7' };
    assert.ok(validate(coerced));
    assert.equal(coerced.retries, 7);
    assert.not.ok(validate({ tag: randomTag, state: 'gone', extra: 1 }));
    assert.equal(validate.errors!.map((e) => e.keyword).sort(), ['additionalProperties', 'enum']);
  }
});

test('the validators are packed into one file with a V8 code cache, which a fresh process uses', () => {
  compileSchema(schema()); // written above: a new validator rebuilds the pack
  const cacheDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '.schema-cache');
  const pack = readFileSync(join(cacheDir, 'pack.js'), 'utf8');
  assert.ok(pack.includes(randomTag), 'the new validator is in pack.js');
  // A fresh process loads the validator from the pack (and writes the pack's code cache when it ends).
  const probe = `import { compileSchema } from ${JSON.stringify(new URL('../../../interpreter/schema/compile-cache.js', import.meta.url).href)};
    const v = compileSchema(${JSON.stringify(schema())});
    const d = { tag: ${JSON.stringify(randomTag)}, retries: '5' };
    process.stdout.write([v(d), d.retries, typeof v.errors].join(' '));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' });
  assert.is(out.trim(), 'true 5 object');
  assert.ok(existsSync(join(cacheDir, 'pack.js.v8')), 'the code cache was written at exit');
});

test.run();
