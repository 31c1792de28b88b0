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
export function renderCloneTree(config: PhoenixConfig, options: { node?: string } = {}): string {
  const children = new Map<number | undefined, PhoenixContainer[]>();
  for (const ctid of config.cloneOrder) {
    const container = config.containers.get(ctid) as PhoenixContainer;
    children.set(container.parent, [...(children.get(container.parent) ?? []), container]);
  }
  const lines = [options.node ?? 'proxmox'];
  const walk = (parent: number | undefined, indent: string): void => {
    const kids = [...(children.get(parent) ?? [])].sort((a, b) => a.ctid - b.ctid);
    kids.forEach((kid, i) => {
      const last = i === kids.length - 1;
      lines.push(`${indent}${last ? '└── ' : '├── '}${describe(kid)}`);
      walk(kid.ctid, `${indent}${last ? '    ' : '│   '}`);
    });
  };
  walk(undefined, '');
  return lines.join('\n');
}

function describe({ ctid, config }: PhoenixContainer): string {
  const template = config.template_snapshot_name === undefined ? '' : ` (template: ${config.template_snapshot_name})`;
  const gpus = config.gpu_assignment.replace(/\s+/g, '');
  const features = config.features.length ? config.features.join(',') : 'none';
  return `${ctid} ${config.name}${template} gpus: ${gpus}  features: ${features}`;
}
