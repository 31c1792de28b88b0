import { mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalConnection } from '../../../interpreter/connection/local.js';
import { nvidiaRun } from '../../../modules/nvidia_run.js';
import { sha256Of, writeStamp } from '../../../modules/nvidia_run/cache.js';
import { DETECT_COMMAND, parseDetect } from '../../../modules/nvidia_run/detect.js';
import { localCheckContext, planInCheckMode, type CheckOutcome } from '../../support/check-plan.js';

/**
 * nvidia_run on a real GPU host, CHECK MODE ONLY (no installer, no download, no apt, nothing outside a temp dir):
 * the real driver's outputs through the module's detection, compared with `cat /sys/module/nvidia/version`.
 * Run: `node dist/test/modules/nvidia_run/gpu-check.js` from the repository root (test/modules/nvidia_run/README.md).
 * The cache dir is a temp dir seeded with a stamped placeholder for the installed version, so the host-mode
 * outcome is decided by version detection alone (as on a node whose host play already ran).
 */
const conn = new LocalConnection('gpu-host');
const lines: string[] = [];
const say = (line: string): void => { lines.push(line); process.stdout.write(`${line}\n`); };

type Outcome = CheckOutcome;

/** Validate and plan nvidia_run, as the executor does in check mode; never applies. */
function plan(args: Record<string, unknown>): Promise<Outcome> {
  return planInCheckMode(nvidiaRun, args, localCheckContext(conn, { diff: false, vars: { proxmox_node: 'gpu-host', proxmox_vmid: '0' } }));
}

async function step(title: string, args: Record<string, unknown>, expect: (o: Outcome) => string | undefined): Promise<boolean> {
  const o = await plan(args);
  say(`-- ${title}`);
  say(`   args: ${JSON.stringify(args)}`);
  say(`   status: ${o.status}${o.text ? `\n   ${o.status === 'failed' ? 'msg' : 'reason'}: ${o.text}` : ''}`);
  for (const c of o.changes) say(`   change: ${c}`);
  say(`   data: ${JSON.stringify(o.data)}`);
  const broken = expect(o);
  say(`   expectation: ${broken ? `BROKEN (${broken})` : 'HOLDS'}`);
  return !broken;
}

/**
 * The second oracle, read here without the module's script: processes outside containers holding an NVIDIA device
 * open (nvidia-persistenced, a CUDA job). With one, the installer cannot unload the old module: reboot_required.
 */
async function moduleHolders(): Promise<string[]> {
  const holders: string[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    const links = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
    if (!links.some((l) => l.startsWith('/dev/nvidia'))) continue;
    const cgroup = await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '');
    if (/lxc\.payload|\/lxc\//.test(cgroup)) continue;
    holders.push(`${pid} ${(await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '?')).trim()}`);
  }
  return holders;
}

async function main(): Promise<number> {
  const module = (await conn.run('cat /sys/module/nvidia/version')).stdout.trim();
  const other = module === '580.76.05' ? '580.95.05' : '580.76.05';
  say(`== nvidia_run gpu check on ${hostname()} at ${new Date().toISOString()} (kernel ${(await conn.run('uname -r')).stdout.trim()})`);
  say(`oracle: /sys/module/nvidia/version = ${module}`);
  const holders = await moduleHolders();
  say(`oracle: processes holding /dev/nvidia* outside containers: ${holders.length ? holders.join(', ') : 'none'} (reboot_required ${holders.length > 0})`);
  const raw = await conn.run(DETECT_COMMAND);
  say(`detection command output:\n${raw.stdout.replace(/^/gm, '   | ')}`);
  say(`parsed: ${JSON.stringify(parseDetect(raw.stdout))}`);
  const cache = await mkdtemp(join(tmpdir(), 'phoenix-nvrun-gpu-'));
  try {
    const file = `NVIDIA-Linux-x86_64-${module}.run`;
    await writeFile(join(cache, file), 'placeholder: this check never runs an installer\n');
    await writeStamp(conn, { dir: cache, file }, await sha256Of(conn, join(cache, file)));
    const url = (v: string) => `https://us.download.nvidia.com/tesla/${v}/NVIDIA-Linux-x86_64-${v}.run`;
    const host = { mode: 'host', cache_dir: cache, install_build_deps: false };
    const results = [
      await step('host mode, configured with the installed version', { ...host, version: module, url: url(module) },
        (o) => (o.status === 'ok' && o.text === `driver ${module} already installed (kernel module ${module} loaded)` ? undefined : 'ok with "already installed"')),
      await step('host mode, configured with another version', { ...host, version: other, url: url(other) }, (o) => {
        const cmd = `sh ${cache}/NVIDIA-Linux-x86_64-${other}.run --silent --dkms --no-questions --ui=none --disable-nouveau --no-x-check`;
        return o.status === 'changed' && o.changes.some((c) => c.startsWith(`install driver ${other} (replacing ${module}): ${cmd}`)) &&
          o.data.reboot_required === holders.length > 0 ? undefined : `changed, would run ${cmd}, reboot_required ${holders.length > 0}`;
      }),
      await step('container mode (this host as its own node), installed version', { mode: 'container', version: module, cache_dir: cache },
        (o) => (o.status === 'ok' ? undefined : 'ok: user space equals the kernel module')),
      await step('container mode, another version', { mode: 'container', version: other, cache_dir: cache },
        (o) => (o.status === 'failed' && o.text.includes(`has kernel module ${module} loaded but version ${other} is configured`) ? undefined : 'failed: mismatch with the node module')),
    ];
    const held = results.filter(Boolean).length;
    say(`== nvidia_run gpu check: ${held}/${results.length} expectations hold`);
    return held === results.length ? 0 : 1;
  } finally {
    await rm(cache, { recursive: true, force: true });
    if (process.env.OUT) await writeFile(join(process.env.OUT, 'nvidia-run-gpu-check.txt'), `${lines.join('\n')}\n`);
  }
}

process.exitCode = await main();
