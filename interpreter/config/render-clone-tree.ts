import type { PhoenixConfig, PhoenixContainer } from './types.js';

/**
 * The clone tree for `phoenix inventory --graph`: the node, then each container under the one it is cloned from,
 * with its template snapshot, GPUs and features:
 *
 * ```
 * pve1
 * └── 900 Template-Base (template: pre-configured) gpus: none  features: base_setup
 *     ├── 901 Template-GPU (template: pre-configured) gpus: 0,1  features: nvidia
 * ```
 */
export function renderCloneTree(config: PhoenixConfig, options: { node?: string; nodeOf?: (ctid: number) => string | undefined } = {}): string {
  const children = new Map<number | undefined, PhoenixContainer[]>();
  for (const ctid of config.cloneOrder) {
    const container = config.containers.get(ctid) as PhoenixContainer;
    children.set(container.parent, [...(children.get(container.parent) ?? []), container]);
  }
  const fallback = options.node ?? 'proxmox';
  const nodeOf = (ctid: number): string => options.nodeOf?.(ctid) ?? fallback;
  const roots = [...(children.get(undefined) ?? [])];
  // A clone is always on its parent's node (checked before), so each tree sits under its root's node.
  const nodes = roots.length ? [...new Set(roots.map((r) => nodeOf(r.ctid)))] : [fallback];
  const lines: string[] = [];
  const walk = (kids: PhoenixContainer[], indent: string): void => {
    const sorted = [...kids].sort((a, b) => a.ctid - b.ctid);
    sorted.forEach((kid, i) => {
      const last = i === sorted.length - 1;
      lines.push(`${indent}${last ? '└── ' : '├── '}${describe(kid)}`);
      walk(children.get(kid.ctid) ?? [], `${indent}${last ? '    ' : '│   '}`);
    });
  };
  for (const node of nodes) {
    lines.push(node + nodeDriverNote(config, node));
    walk(roots.filter((r) => nodeOf(r.ctid) === node), '');
  }
  return lines.join('\n');
}

/** With per-node drivers in the configuration, each node says its driver (and whether it is its own). */
function nodeDriverNote(config: PhoenixConfig, node: string): string {
  if (!config.nodeDrivers.size) return '';
  const own = config.nodeDrivers.get(node);
  return own ? `  driver: ${own.version} (nodes.${node})` : `  driver: ${config.nvidia.version}`;
}

function describe({ ctid, config }: PhoenixContainer): string {
  const template = config.template_snapshot_name === undefined ? '' : ` (template: ${config.template_snapshot_name})`;
  const gpus = config.gpu_assignment.replace(/\s+/g, '');
  const features = config.features.length ? config.features.join(',') : 'none';
  return `${ctid} ${config.name}${template} gpus: ${gpus}  features: ${features}`;
}
