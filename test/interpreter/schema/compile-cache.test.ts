import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
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

test.run();
