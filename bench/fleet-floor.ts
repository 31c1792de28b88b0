import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabInfo } from '../lab/lab.js';
import type { FleetFiles } from './fleet-config.js';
import { quote } from '../interpreter/connection/quote.js';
import { timed, type Timed } from './measure.js';

/**
 * The floor of a fleet no-op: what runs inside the containers in any tool's no-op of this workload, with no tool
 * around it. These are the commands bench/fleet-ansible.yml runs in each container (package and file checks, the
 * installer's version, nvidia-smi, the device list, nvcc, the compute check, `docker run --gpus all`), each
 * container's in one `lxc-attach` from its node (what `pct exec` does underneath), the nodes at once and `forks`
 * containers at a time in all. No playbook, no connection per task: a tool's no-op time above this is the tool's.
 * On a 2-core machine it is CPU-bound: the lab's stand-ins of nvidia-smi, nvcc and docker are shell scripts.
 */
export function floorScript(dockerImage: string): string {
  return [
    `dpkg-query -W -f='\${Status}\\n' ca-certificates curl gnupg kmod >/dev/null 2>&1`,
    'grep -q /usr/local/cuda/bin /etc/profile.d/phoenix-cuda.sh 2>/dev/null',
    'if command -v nvidia-installer >/dev/null 2>&1; then',
    '  nvidia-installer --version >/dev/null 2>&1',
    '  grep -qs cuda /etc/apt/sources.list.d/cuda.list; test -s /usr/share/keyrings/cuda-archive-keyring.gpg',
    `  dpkg-query -W -f='\${Status}\\n' 'cuda-toolkit-*' >/dev/null 2>&1`,
    'fi',
    'if command -v docker >/dev/null 2>&1; then',
    '  grep -qs docker /etc/apt/sources.list.d/docker.sources',
    `  dpkg-query -W -f='\${Status}\\n' docker-ce docker-ce-cli containerd.io >/dev/null 2>&1`,
    '  grep -qs nvidia /etc/apt/sources.list.d/nvidia-container-toolkit.list',
    `  dpkg-query -W -f='\${Package}=\${Version}\\n' nvidia-container-toolkit nvidia-container-toolkit-base libnvidia-container-tools libnvidia-container1 >/dev/null 2>&1`,
    "  grep -qx 'no-cgroups = true' /etc/nvidia-container-runtime/config.toml 2>/dev/null; test -d /run/systemd/system",
    "  grep -q '\"nvidia-container-runtime\"' /etc/docker/daemon.json 2>/dev/null",
    'fi',
    'set -- /dev/nvidia[0-9]*; if [ -e "$1" ] && command -v nvidia-smi >/dev/null 2>&1; then',
    '  nvidia-smi --query-gpu=index,name,uuid,driver_version,pci.bus_id --format=csv,noheader >/dev/null 2>&1',
    '  ls -l /dev/nvidia* >/dev/null 2>&1; /usr/local/cuda/bin/nvcc --version >/dev/null 2>&1',
    '  for p in /var/cache/phoenix/compute-check/compute-check-*[!u]; do [ -x "$p" ] && "$p" >/dev/null 2>&1; done',
    `  if command -v docker >/dev/null 2>&1; then docker run --rm --gpus all ${quote(dockerImage)} nvidia-smi -L >/dev/null 2>&1; fi`,
    'fi',
    'exit 0',
  ].join('\n');
}

interface FleetLxcConfig {
  lxc_configs: Record<string, { node?: string }>;
  /** The docker_gpu image (the same one verify runs). */
  docker_gpu_image?: string;
}

/** Each node's containers (vmids), from the fleet's configuration. */
function containersByNode(config: FleetLxcConfig): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [vmid, entry] of Object.entries(config.lxc_configs)) {
    const node = entry.node ?? 'pve1';
    out.set(node, [...(out.get(node) ?? []), vmid]);
  }
  return out;
}

/** One floor run: every node over SSH at once, its containers through xargs -P. */
export async function floorRun(info: LabInfo, files: FleetFiles, forks: number): Promise<Timed> {
  const config = JSON.parse(readFileSync(join(files.configDir, 'phoenix_lxc_configs.json'), 'utf8')) as FleetLxcConfig;
  const byNode = containersByNode(config);
  const perNode = Math.max(1, Math.round(forks / byNode.size));
  const script = floorScript(config.docker_gpu_image ?? 'phoenix-lab/cuda-base:bookworm');
  const scriptFile = join(files.configDir, '..', 'floor.sh');
  const lines = [...byNode].map(([node, vmids]) => {
    const port = info.nodes.find((n) => n.name === node)?.port;
    if (!port) throw new Error(`fleet floor: no lab node ${node}`);
    const remote = `printf '%s\\n' ${vmids.join(' ')} | xargs -P ${perNode} -I{} sh -c 'lxc-attach -n {} -- sh -s </tmp/phoenix-floor.sh'`;
    const ssh = ['ssh', '-i', info.privateKey, '-o', `UserKnownHostsFile=${info.knownHosts}`, '-o', 'BatchMode=yes', '-p', String(port), `${info.user}@127.0.0.1`];
    return `${ssh.map(quote).join(' ')} ${quote(`cat >/tmp/phoenix-floor.sh && ${remote}`)} <${quote(scriptFile)} & pids="$pids $!"`;
  });
  writeFileSync(scriptFile, script);
  const run = await timed('sh', ['-c', `${lines.join('\n')}\nrc=0; for p in $pids; do wait $p || rc=1; done; exit $rc`]);
  if (run.code !== 0) throw new Error(`fleet floor failed (exit ${run.code}): ${run.stderr.trim()}`);
  return run;
}
