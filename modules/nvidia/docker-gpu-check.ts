/**
 * verify's `docker_gpu` check: what a user of a Docker GPU template runs first, `docker run --rm --gpus all IMAGE
 * nvidia-smi -L`, with a local image (nothing is pulled). Read-only, apart from the container Docker makes and removes.
 */
import { raw, shellCommand } from '../../interpreter/connection/quote.js';
import type { Connection } from '../../interpreter/connection/types.js';

/** What the check found; `skipped` says why it did not run (no image configured, no Docker). */
export interface DockerGpuFindings {
  image?: string;
  /** GPUs `nvidia-smi -L` listed inside the Docker container. */
  gpus?: number;
  skipped?: string;
  /** One line for verify's ok reason. */
  summary?: string;
}

export interface DockerGpuRequest {
  image?: string | null;
  gpus: { count: number; indexes?: number[] };
}

const DOCKER_RUN = ['docker', 'run', '--rm', '--pull=never', '--gpus', 'all'];

/** Exit code of the probe when there is no docker command (the shell's own "not found"). */
const NO_DOCKER = 127;

/** Docker's errors of a GPU container, with the cause and the fix (matched in docker's stderr). */
const FAILURES: Array<{ pattern: RegExp; problem: string }> = [
  {
    pattern: /could not select device driver "" with capabilities: \[\[gpu\]\]/,
    problem: 'Docker found no NVIDIA GPU support when it started (could not select device driver "" with '
      + 'capabilities: [[gpu]]): dockerd registers --gpus only when the NVIDIA Container Toolkit\'s '
      + 'nvidia-container-runtime-hook is on its PATH at start: install the toolkit (the docker feature) and restart Docker',
  },
  {
    pattern: /bpf_prog_query\(BPF_CGROUP_DEVICE\) failed|failed to add device rules/,
    problem: 'the toolkit tried to add device cgroup rules, which belong to the Proxmox host in an LXC container '
      + '(bpf_prog_query(BPF_CGROUP_DEVICE) failed): set no-cgroups = true under [nvidia-container-cli] in '
      + '/etc/nvidia-container-runtime/config.toml (the docker feature does)',
  },
  {
    pattern: /unknown flag: --pull/,
    problem: 'this Docker is older than 20.10 (docker run has no --pull): install a current docker-ce (the docker feature)',
  },
  {
    pattern: /libnvidia-ml\.so\.1: cannot open shared object file/,
    problem: 'no NVIDIA driver user space in the container (libnvidia-ml.so.1: cannot open shared object file): '
      + 'install it from the node\'s .run (the nvidia feature) before Docker can pass it to its containers',
  },
];

/** `GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-…)` lines of `nvidia-smi -L`. */
export function countListedGpus(stdout: string): number {
  return stdout.split('\n').filter((line) => /^GPU \d+: .*\(UUID: [^)]+\)\s*$/.test(line)).length;
}

/** The cause and fix of a failed `docker run --gpus all`, from its output. */
export function dockerRunProblem(rc: number, output: string): string {
  const known = FAILURES.find((f) => f.pattern.test(output));
  if (known) return `docker_gpu: ${known.problem}`;
  const first = output.split('\n').map((l) => l.trim()).find(Boolean) ?? 'no output';
  return `docker_gpu: docker run --rm --pull=never --gpus all failed (exit ${rc}): ${first}`;
}

/**
 * The image is not in Docker's local store: `docker run --pull=never` says `No such image: REF.` (Docker's reference,
 * docs.docker.com container run --pull; not seen here: the lab's docker is a stand-in).
 */
export function isMissingImage(output: string): boolean {
  return /no such (image|object)/i.test(output);
}

export function imageProblem(image: string): string {
  return `docker_gpu: image ${image} is not present locally (docker pull / docker load it)`;
}

function expected(gpus: DockerGpuRequest['gpus']): string {
  return gpus.indexes ? `GPU ${gpus.indexes.join(',')}` : `${gpus.count} GPU(s)`;
}

/** Runs the check; a problem goes to `problems`, what it saw (or why it was skipped) to `found.docker_gpu`. */
export async function checkDockerGpu(conn: Connection, request: DockerGpuRequest, found: { docker_gpu?: DockerGpuFindings },
  problems: string[]): Promise<void> {
  const { image, gpus } = request;
  if (!image) {
    found.docker_gpu = { skipped: 'docker_gpu skipped: no docker_gpu_image is configured (phoenix_lxc_configs.json names a local image with nvidia-smi)' };
    return;
  }
  // One command: `--pull=never` fails on an image that is not local (instead of a pull), so no inspect before it.
  const run = await conn.run(shellCommand(raw('command -v docker >/dev/null 2>&1 || exit 127;'), ...DOCKER_RUN, image, 'nvidia-smi', '-L'));
  if (run.rc === NO_DOCKER && !run.stdout && !run.stderr) {
    found.docker_gpu = { image, skipped: 'docker_gpu skipped: Docker is not installed here (no docker command)' };
    return;
  }
  found.docker_gpu = { image };
  if (run.rc !== 0) {
    const output = `${run.stderr}\n${run.stdout}`;
    problems.push(isMissingImage(output) ? imageProblem(image) : dockerRunProblem(run.rc, output));
    return;
  }
  const listed = countListedGpus(run.stdout);
  found.docker_gpu.gpus = listed;
  if (listed < gpus.count) {
    problems.push(`docker_gpu: docker run --gpus all ${image} lists ${listed} GPU(s) with nvidia-smi -L, expected ${expected(gpus)}`);
    return;
  }
  found.docker_gpu.summary = `docker run --gpus all ${image}: nvidia-smi lists ${listed} GPU${listed === 1 ? '' : 's'}`;
}
