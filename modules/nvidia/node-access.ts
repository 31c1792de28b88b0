import { octalMode, type DeviceNode } from './device-nodes.js';
import type { NodeAccess } from './probes.js';

/** A device node as verify saw it: the `ls -l` entry and what root here may do with it. */
export type ProbedNode = DeviceNode & Partial<Omit<NodeAccess, 'path'>>;

/** What is wrong with one node: a problem fails verify, a warning is only reported. */
export interface NodeFinding {
  problem?: string;
  warning?: string;
}

/** The overflow id: what a user namespace shows for ids it does not map (host root in an unprivileged CT). */
const OVERFLOW_ID = 65534;

/** The nodes CUDA needs in every process: the GPUs, nvidiactl and nvidia-uvm. */
export function isRequiredNode(path: string): boolean {
  return /^\/dev\/nvidia(\d+|ctl|-uvm)$/.test(path);
}

/** MIG capability nodes: minor 1 is config, 2 monitor (domain 1.1). */
function capabilityName(node: ProbedNode): string | undefined {
  if (!node.path.startsWith('/dev/nvidia-caps/')) return undefined;
  return node.minor === 1 ? 'MIG config capability' : node.minor === 2 ? 'MIG monitor capability' : 'MIG capability';
}

function ownerText(node: ProbedNode): string {
  const ids = node.uid === undefined ? '' : ` (${node.uid}:${node.gid})`;
  return `${node.owner}:${node.group}${ids}`;
}

function unmapped(node: ProbedNode): boolean {
  return node.uid === OVERFLOW_ID || (node.uid === undefined && node.owner === 'nobody');
}

/**
 * Judges one node from its listing and the access probe. The device cgroup refusing it (EPERM on open) or root
 * not being able to read and write a required node fails; an unreadable capability node is by design in an
 * unprivileged container (0400 host root shows as nobody, and only MIG administration needs it) and only warned
 * about, as is any other node root cannot use (nvidia-uvm-tools, nvidia-modeset).
 */
export function judgeNode(node: ProbedNode): NodeFinding {
  if (node.open === undefined) return {};
  const name = node.path.replace(/^\/dev\/(nvidia-caps\/)?/, '');
  if (/Operation not permitted/.test(node.open)) {
    const text = `${node.path} exists but opening it fails (${node.open}): the device cgroup does not allow major ` +
      `${node.major} (lxc.cgroup2.devices.allow missing or for a wrong major)`;
    return isRequiredNode(node.path) ? { problem: text } : { warning: text };
  }
  const capability = capabilityName(node);
  if (capability) return node.read ? {} : { warning: capabilityWarning(node, name, capability) };
  if (node.read && node.write && !/Permission denied/.test(node.open)) return {};
  if (!isRequiredNode(node.path)) return { warning: `${name} not usable by root here (${octalMode(node.mode)} ${ownerText(node)})` };
  return { problem: accessProblem(node) };
}

function capabilityWarning(node: ProbedNode, name: string, capability: string): string {
  const owner = unmapped(node) ? 'host root' : `${node.owner}:${node.group}`;
  const why = unmapped(node) ? 'by design in an unprivileged container' : 'only MIG administration needs it';
  return `${name} not readable (${capability}, ${octalMode(node.mode)} ${owner}: ${why})`;
}

function accessProblem(node: ProbedNode): string {
  const mode = octalMode(node.mode);
  if (node.read && node.write) {
    return `${node.path} is ${mode} ${ownerText(node)} and root may use it, yet opening it fails (${node.open}): ` +
      'an LSM such as AppArmor refuses it';
  }
  const what = [!node.read && 'read', !node.write && 'write'].filter(Boolean).join(' or ');
  if (unmapped(node)) {
    return `${node.path} is ${mode} ${ownerText(node)}: an unprivileged container maps host root to nobody, so root ` +
      `here cannot ${what} it; make it 0666 on the node or use devN with mode=0666`;
  }
  return `${node.path} is ${mode} ${ownerText(node)}: root here cannot ${what} it; give it mode 0666 (devN ` +
    'mode=0666, or on the node for a bind mount)';
}
