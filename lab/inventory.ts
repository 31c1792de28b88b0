import type { LabInfo } from './lab.js';

/** The lab as an Ansible YAML inventory: group `proxmox`, one host per node, reached over real SSH. */
export function renderInventory(info: Pick<LabInfo, 'nodes' | 'user' | 'privateKey' | 'knownHosts' | 'artifacts' | 'siteVars'>): string {
  const hosts = info.nodes
    .filter((n) => !n.owner)
    .map((n) => [`        ${n.name}:`, '          ansible_host: 127.0.0.1', `          ansible_port: ${n.port}`].join('\n'))
    .join('\n');
  const vars = [
    `        ansible_user: ${info.user}`,
    `        ansible_ssh_private_key_file: ${info.privateKey}`,
    `        phoenix_known_hosts_file: ${info.knownHosts}`,
    ...(info.artifacts ? [`        phoenix_lab_artifacts_url: ${info.artifacts.url}`] : []),
    ...Object.entries(info.artifacts?.runfileUrls ?? {}).map(([v, u]) => `        # stand-in driver ${v}: ${u}`),
  ];
  const allVars = Object.entries(info.siteVars ?? {}).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`);
  return [
    '# phoenix lab inventory, written by `npm run lab:up` (lab/cli.ts); removed by `npm run lab:down`.',
    '# Stand-in Proxmox nodes: real sshd on loopback, host keys in phoenix_known_hosts_file (checking stays on).',
    'all:',
    ...(allVars.length ? ['  vars:', ...allVars] : []),
    '  children:',
    '    proxmox:',
    '      hosts:',
    hosts,
    '      vars:',
    ...vars,
    '',
  ].join('\n');
}
