/**
 * Reading files out of a Proxmox OS template (`local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst` or a
 * path) on its node, for check mode's predictions in a container that does not exist yet. Read-only: `tar -xO`
 * streams one member to stdout (GNU tar recognises gzip, xz and zstd by their magic), nothing is unpacked.
 */
import { raw, shellCommand } from '../../interpreter/connection/quote.js';
import type { Connection } from '../../interpreter/connection/types.js';
import type { PlannedState } from '../../interpreter/executor/planned-state.js';
import type { OsTemplateView } from '../types.js';

/** Where PVE keeps `vztmpl` volumes of the `local` storage (pvesm path answers for other storages). */
const LOCAL_TEMPLATE_DIR = '/var/lib/vz/template/cache';

/** The template's path on the node: a path as it is, a volume id through `pvesm path` (local: without it too). */
export function templatePathCommand(ostemplate: string): string {
  if (ostemplate.startsWith('/')) return shellCommand('printf', '%s\\n', ostemplate);
  const local = /^local:vztmpl\/(.+)$/.exec(ostemplate)?.[1];
  const fallback = local ? shellCommand('printf', '%s\\n', `${LOCAL_TEMPLATE_DIR}/${local}`) : 'false';
  return `${shellCommand('pvesm', 'path', ostemplate, raw('2>/dev/null'))} || ${fallback}`;
}

/** One member of the template, `./path` or `path` as tars store either; rc 0 with the bytes, else rc 1. */
function extractCommand(ostemplate: string, path: string): string {
  const member = path.replace(/^\/+/, '');
  const script = 't=$(eval "$1") && [ -r "$t" ] || exit 1; tar -xOf "$t" "./$2" 2>/dev/null || tar -xOf "$t" "$2" 2>/dev/null';
  return shellCommand('sh', '-c', script, 'sh', templatePathCommand(ostemplate), member);
}

/** A view of one template on one node; each file is read once per run (the store keeps it). */
export function osTemplateView(node: Connection, ostemplate: string, planned?: PlannedState): OsTemplateView {
  return {
    node,
    ostemplate,
    async read(path: string): Promise<Buffer | null> {
      const key = `${node.host}:${ostemplate}:${path}`;
      const known = planned?.get<Buffer | null>('os-template', key);
      if (known !== undefined) return known;
      const result = await node.run(extractCommand(ostemplate, path));
      const content = result.rc === 0 ? Buffer.from(result.stdout) : null;
      planned?.set('os-template', key, content);
      return content;
    },
  };
}
