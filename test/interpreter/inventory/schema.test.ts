import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import AjvModule from 'ajv';
import { parse } from 'yaml';
import { inventorySchema } from '../../../interpreter/inventory/index.js';
import { isWellShaped } from '../../../interpreter/inventory/schema.js';
import { fixture } from './support.js';

const validate = new AjvModule.default({ allErrors: true, allowUnionTypes: true, strict: true }).compile(inventorySchema);

/** Values on both sides of every rule of the schema. */
const samples: unknown[] = [
  null, [], 'all', 3,
  {}, { all: null }, { all: {} }, { all: [] }, { all: 'x' },
  { all: { hosts: null } }, { all: { hosts: 'web1' } }, { all: { hosts: ['web1'] } }, { all: { hosts: 3 } },
  { all: { hosts: { web1: null } } }, { all: { hosts: { web1: {} } } }, { all: { hosts: { web1: 'x' } } }, { all: { hosts: { web1: [] } } },
  { all: { vars: null } }, { all: { vars: {} } }, { all: { vars: 'x' } }, { all: { vars: [] } },
  { all: { children: null } }, { all: { children: 'web' } }, { all: { children: ['web'] } },
  { all: { children: { web: null } } }, { all: { children: { web: { hosts: { a: null } } } } },
  { all: { children: { web: { children: { db: { groups: 1 } } } } } }, { all: { children: { web: 'x' } } },
  { all: { host_vars: {} } }, { all: { hosts: {}, vars: {}, children: {}, extra: null } },
];

test('isWellShaped (the fast path) agrees with the ajv schema on every rule', () => {
  for (const sample of samples) assert.is(isWellShaped(sample), validate(sample), JSON.stringify(sample));
});

test('isWellShaped agrees with the ajv schema on every fixture inventory file', () => {
  const dirs = ['lab', 'multi', 'errors', 'vars/inventory', '.'];
  for (const dir of dirs) {
    for (const name of readdirSync(fixture(dir)).filter((n) => /\.(ya?ml|json)$/.test(n))) {
      let data: unknown;
      try {
        data = parse(readFileSync(fixture(`${dir}/${name}`), 'utf8'), { version: '1.1' });
      } catch {
        continue;
      }
      assert.is(isWellShaped(data), validate(data), `${dir}/${name}`);
    }
  }
});

test.run();
