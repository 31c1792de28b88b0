import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LocalConnection } from '../../../interpreter/connection/local.js';
import { ConnectionPool } from '../../../interpreter/connection/pool.js';
import { UnreachableError } from '../../../interpreter/connection/types.js';

const test = suite('connection pool');
const poolModule = fileURLToPath(new URL('../../../interpreter/connection/pool.js', import.meta.url));

test('local hosts are child processes; one object per host', async () => {
  const pool = new ConnectionPool({ hostVars: () => ({ ansible_connection: 'local' }) });
  const [a, b] = await Promise.all([pool.get('here'), pool.get('here')]);
  assert.instance(a, LocalConnection);
  assert.ok(a === b);
  assert.is((await a.run('echo local')).stdout, 'local\n');
  await pool.closeAll();
});

test('unknown ansible_connection is a configuration error with a stable code', async () => {
  const pool = new ConnectionPool({ hostVars: () => ({ ansible_connection: 'winrm' }) });
  const error = (await pool.get('w').catch((e: unknown) => e)) as { code?: string; message: string };
  assert.is(error.code, 'CONNECTION_UNKNOWN');
  assert.match(error.message, 'winrm');
});

test('node-ssh (and ssh2) are loaded only when an ssh host is used (start-up cost of local-only runs)', () => {
  const script = `
    import { createRequire } from 'node:module';
    const { ConnectionPool } = await import(${JSON.stringify(poolModule)});
    const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/node_modules/ssh2/'));
    const pool = new ConnectionPool({ hostVars: (h) => h === 'l' ? { ansible_connection: 'local' } :
      { ansible_host: '127.0.0.1', ansible_port: 9, ansible_user: 'nobody' }, env: {}, home: '/nonexistent' });
    await (await pool.get('l')).run('true');
    const before = loaded();
    await pool.get('r').catch(() => undefined);
    console.log(JSON.stringify({ before, after: loaded() }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(JSON.parse(out), { before: false, after: true });
});

test('a failed connect is not cached: the next get tries again', async () => {
  const pool = new ConnectionPool({
    hostVars: () => ({ ansible_host: '127.0.0.1', ansible_port: 9, ansible_user: 'nobody' }), env: {}, home: '/nonexistent',
  });
  const first = pool.get('r');
  await first.catch(() => undefined);
  const second = pool.get('r');
  assert.ok(first !== second);
  assert.instance(await second.catch((e: unknown) => e), UnreachableError);
});

test.run();
