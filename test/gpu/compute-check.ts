import { LocalConnection } from '../../interpreter/connection/local.js';
import { raw, shellCommand } from '../../interpreter/connection/quote.js';
import { verify } from '../../modules/verify.js';
import { localCheckContext, planInCheckMode, type CheckOutcome } from '../support/check-plan.js';

/**
 * verify's compute check on a real GPU host through phoenix's local connection (scripts/gpu-compute-check.sh runs
 * it, also inside private mount namespaces that hide /dev/nvidia-uvm):
 *
 *   node dist/test/gpu/compute-check.js CACHE_DIR [steps|uvm-recreated|uvm-missing|uvm-null]
 *
 * `steps`: compiles into CACHE_DIR (must not hold a build yet), reuses it, runs the full container check, and asks
 * for one GPU more than nvidia-smi lists. `uvm-recreated` (a writable /dev without nvidia-uvm: the driver's
 * nvidia-modprobe makes it again, so the check passes, as on a host), `uvm-missing` (a read-only /dev without it, as
 * in an unprivileged container, where nothing can mknod) and `uvm-null` (/dev/null bound over it): those two must
 * fail with their one line. Exit 0 when every expectation holds. Writes only under CACHE_DIR.
 */

type Outcome = CheckOutcome;

const conn = new LocalConnection('gpu-host');
const results: Array<{ step: string; pass: boolean; why: string }> = [];

/** Validate and plan verify (it never changes anything, so its plan is its result). */
function runVerify(args: Record<string, unknown>): Promise<Outcome> {
  return planInCheckMode(verify, args, localCheckContext(conn, { check: false, diff: false }));
}

async function step(name: string, args: Record<string, unknown>, expect: (got: Outcome) => boolean, why: string): Promise<Outcome> {
  const got = await runVerify(args);
  const pass = expect(got);
  results.push({ step: name, pass, why });
  console.log(`\n-- ${name}\n   args: ${JSON.stringify(args)}\n   status: ${got.status}\n   ${got.status === 'ok' ? 'reason' : 'msg'}: ${got.text}`);
  if (got.data.compute) console.log(`   data.compute: ${JSON.stringify(got.data.compute)}`);
  console.log(`   expectation: ${pass ? 'HOLDS' : 'BROKEN'} (${why})`);
  return got;
}

const compute = (got: Outcome): Record<string, unknown> => (got.data.compute ?? {}) as Record<string, unknown>;

async function gpuCount(): Promise<number> {
  const r = await conn.run(shellCommand('nvidia-smi', '-L', raw('2>/dev/null |'), 'grep', '-c', '^GPU '));
  return Number(r.stdout.trim());
}

async function steps(cache: string): Promise<void> {
  const n = await gpuCount();
  console.log(`   nvidia-smi -L lists ${n} GPU(s)`);
  const args = { checks: ['compute'], gpus: n, compute_cache_dir: cache };
  await step('compute, nothing cached yet', args, (g) => g.status === 'ok' && compute(g).compiled === true &&
    compute(g).device_count === n && / vector add 4 MiB ok, compiled by nvcc /.test(g.text),
    `ok, compiled, ${n} device(s) as nvidia-smi -L, vector add ok`);
  await step('compute again', args, (g) => g.status === 'ok' && compute(g).compiled === false && /cached build of nvcc/.test(g.text),
    'ok, the cached binary reused (nothing compiled)');
  await step('the container task\'s checks (driver, toolkit, devices, compute)',
    { ...args, checks: ['driver', 'toolkit', 'devices', 'compute'] }, (g) => g.status === 'ok' && /; compute: /.test(g.text),
    'ok, the versions then the compute line');
  await step('one GPU more than this host has', { ...args, gpus: n + 1 },
    (g) => g.status === 'failed' && g.text === `compute: CUDA sees ${n} GPU${n === 1 ? '' : 's'}, expected ${n + 1} GPU(s): not all are passed through (lxc_conf)`,
    'failed: CUDA sees fewer GPUs than gpus asks for');
}

type Hidden = 'uvm-missing' | 'uvm-recreated' | 'uvm-null';

async function hidden(cache: string, how: Hidden): Promise<void> {
  const args = { checks: ['compute'], gpus: await gpuCount(), compute_cache_dir: cache };
  if (how === 'uvm-recreated') {
    // On a host (root, writable /dev) nvidia-smi and libcuda run the setuid nvidia-modprobe, which makes the node.
    await step('/dev/nvidia-uvm removed from a writable private /dev (as on a host)', args,
      (g) => g.status === 'ok', 'ok: the driver re-created the node (nvidia-modprobe), so CUDA works');
    return;
  }
  if (how === 'uvm-missing') {
    await step('/dev/nvidia-uvm hidden (a read-only private /dev without it: no mknod, as in an unprivileged CT)', args,
      (g) => g.status === 'failed' && g.text.startsWith('compute: no /dev/nvidia-uvm: CUDA cannot start without it'),
      'failed, naming /dev/nvidia-uvm, before compiling or running anything');
    return;
  }
  await step('/dev/null bound over /dev/nvidia-uvm (present, but not the uvm device)', args,
    (g) => g.status === 'failed' && /^compute: cudaError\w+ from \S+/.test(g.text),
    'failed with the CUDA error name the runtime gives');
}

async function main(): Promise<void> {
  const [cache, mode = 'steps'] = process.argv.slice(2);
  if (!cache?.startsWith('/') || !['steps', 'uvm-missing', 'uvm-recreated', 'uvm-null'].includes(mode)) {
    console.error('usage: compute-check.js /CACHE_DIR [steps|uvm-missing|uvm-recreated|uvm-null]');
    process.exit(2);
  }
  if (mode === 'steps') await steps(cache);
  else await hidden(cache, mode as Hidden);
  const held = results.filter((r) => r.pass).length;
  console.log(`\n== compute-check ${mode}: ${held}/${results.length} expectations hold`);
  for (const r of results.filter((x) => !x.pass)) console.log(`   BROKEN: ${r.step}: expected ${r.why}`);
  process.exitCode = held === results.length ? 0 : 1;
}

await main();
