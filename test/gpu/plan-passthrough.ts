import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalConnection } from '../../interpreter/connection/local.js';
import { lxcConf } from '../../modules/lxc_conf.js';
import { localCheckContext, planInCheckMode, type CheckOutcome } from '../support/check-plan.js';

/**
 * Plans a GPU container's passthrough with phoenix's own `lxc_conf`, in check mode, on this host's real
 * `/proc/devices` and `/dev/nvidia*`, for both styles, and writes the planned lines for
 * test/gpu/unprivileged-container.sh to turn into LXC configs:
 *
 *   node dist/test/gpu/plan-passthrough.js OUTDIR [GPUS]     (GPUS: lxc_conf's gpu_assignment, default "0")
 *
 * OUTDIR/raw.lines: the raw style's lines (`lxc.cgroup2.devices.allow: …`, `lxc.mount.entry: …`) as lxc_conf
 * would add them to /etc/pve/lxc/901.conf (planned on a copy in a temp dir, which is removed afterwards).
 * OUTDIR/devn.lines: the devN style's entries (`dev0: /dev/nvidia0,mode=0666`) as lxc_conf's `pct set` would set
 * them; `pct` is a stub in the temp dir that prints the same config (`pct config`) and says the container is
 * stopped (`pct status`), as on a node whose container 901 has no devN entry yet; lxc_conf's own checks run on
 * the real host (its /proc/devices, that every planned node exists). Exit 1 when a plan is not the expected
 * change. Nothing outside the temp dir and OUTDIR is written.
 */

const VMID = 901;
/** A container as `pct create` leaves it, unprivileged (the default), before any GPU line. */
const CONF = `arch: amd64
cores: 4
hostname: gpu-proof
memory: 4096
ostype: debian
rootfs: local:${VMID}/vm-${VMID}-disk-0.raw,size=8G
unprivileged: 1
`;

const PCT_STUB = `#!/bin/sh
# Stand-in for Proxmox's pct, for lxc_conf's devN planning only: config and status of container ${VMID}.
case "$1 $2" in
  "config ${VMID}") cat "$(dirname "$0")/../lxc/${VMID}.conf" ;;
  "status ${VMID}") echo "status: stopped" ;;
  *) echo "pct stub: unsupported: $*" >&2; exit 255 ;;
esac
`;

const conn = new LocalConnection('gpu-host');

/** Validate and plan lxc_conf, as the executor does in check mode; never applies. */
function plan(args: Record<string, unknown>): Promise<CheckOutcome> {
  return planInCheckMode(lxcConf, args, localCheckContext(conn));
}

function show(title: string, args: Record<string, unknown>, got: CheckOutcome, lines: string[]): void {
  console.log(`-- lxc_conf ${title} (check mode)`);
  console.log(`   args: ${JSON.stringify(args)}`);
  console.log(`   status: ${got.status}${got.text ? ` (${got.text})` : ''}`);
  for (const c of got.changes) console.log(`   change: ${c}`);
  console.log('   planned lines:');
  for (const l of lines) console.log(`     ${l}`);
}

/** The raw style's planned lines: what lxc_conf adds to the main section (the sample config has none of its own). */
export function rawLines(data: Record<string, unknown>): string[] {
  const added = data.added;
  return Array.isArray(added) ? added.filter((l): l is string => typeof l === 'string') : [];
}

/** The devN style's planned entries, as `pct config` will print them after lxc_conf's `pct set`. */
export function devLines(data: Record<string, unknown>): string[] {
  const set = data.set;
  if (!Array.isArray(set)) return [];
  return set.flatMap((s: unknown) => {
    const e = s as { key?: unknown; value?: unknown };
    return typeof e.key === 'string' && typeof e.value === 'string' ? [`${e.key}: ${e.value}`] : [];
  });
}

async function main(): Promise<void> {
  const [outDir, gpus = '0'] = process.argv.slice(2);
  if (!outDir) throw new Error('usage: plan-passthrough.js OUTDIR [GPUS]');
  const dir = await mkdtemp(join(tmpdir(), 'phoenix-plan-passthrough-'));
  let ok = true;
  try {
    await mkdir(join(dir, 'lxc'));
    await mkdir(join(dir, 'bin'));
    await writeFile(join(dir, 'lxc', `${VMID}.conf`), CONF);
    await writeFile(join(dir, 'bin', 'pct'), PCT_STUB);
    await chmod(join(dir, 'bin', 'pct'), 0o755);
    process.env.PATH = `${join(dir, 'bin')}:${process.env.PATH ?? ''}`;
    await mkdir(outDir, { recursive: true });

    const rawArgs = { vmid: VMID, gpu_assignment: gpus, style: 'raw', conf_dir: join(dir, 'lxc'), lock_dir: join(dir, 'lock') };
    const raw = await plan(rawArgs);
    const rawPlanned = rawLines(raw.data);
    show('style raw', rawArgs, raw, rawPlanned);
    if (raw.status !== 'changed' || rawPlanned.length === 0) ok = false;
    await writeFile(join(outDir, 'raw.lines'), rawPlanned.map((l) => `${l}\n`).join(''));

    const devArgs = { vmid: VMID, gpu_assignment: gpus, style: 'devN' };
    const dev = await plan(devArgs);
    const devPlanned = devLines(dev.data);
    show('style devN', devArgs, dev, devPlanned);
    if (dev.status !== 'changed' || devPlanned.length === 0) ok = false;
    await writeFile(join(outDir, 'devn.lines'), devPlanned.map((l) => `${l}\n`).join(''));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  if (!ok) console.log('   BROKEN: a style did not plan a change with lines');
  process.exitCode = ok ? 0 : 1;
}

if (process.argv[1]?.endsWith('plan-passthrough.js')) await main();
