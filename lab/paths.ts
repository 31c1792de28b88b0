import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gpuFixture } from '../test/support/shared.js';

/** Repository root (this file runs from dist/lab/). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Shell side of the node, shipped as sources (not compiled). */
export const NODE_SCRIPTS = join(REPO_ROOT, 'lab', 'node');
/**
 * Which lab of this machine: `PHOENIX_LAB_INSTANCE=<1..9>` gives a second checkout (or a bench beside the tests) its own lab beside the default
 * one (0): its own state root, ports shifted by 1000 x N, its own artifact tree. Containers of both labs may share
 * VMIDs: each node has its own LXC path.
 */
export const LAB_INSTANCE = labInstance(process.env.PHOENIX_LAB_INSTANCE);
/**
 * Where the lab writes what users need: inventory, keys, known_hosts, lab.json. Git-ignored. `.lab` for the default
 * lab, `.lab-N` for instance N: two labs of one checkout (a bench beside the tests) must not share lab.json and
 * known_hosts, or one's `up` leaves the other's runs refused by host key checking.
 */
export const LAB_DIR = join(REPO_ROOT, LAB_INSTANCE ? `.lab-${LAB_INSTANCE}` : '.lab');
/** Added to every port the lab listens on. */
export const LAB_PORT_OFFSET = LAB_INSTANCE * 1000;

function labInstance(value: string | undefined): number {
  if (value === undefined || value === '' || value === '0') return 0;
  if (!/^[1-9]$/.test(value)) throw new Error(`PHOENIX_LAB_INSTANCE=${value}: expected a digit 1-9 (unset for the default lab)`);
  return Number(value);
}

/** Everything a node is made of; `down` removes it. */
export const STATE_ROOT = LAB_INSTANCE ? `/var/lib/phoenix-lab-${LAB_INSTANCE}` : '/var/lib/phoenix-lab';
/** Built once, kept by `down`. */
export const CACHE_DIR = '/var/cache/phoenix-lab';
export const ROOTFS_DIR = join(CACHE_DIR, 'rootfs-bookworm');
/** Proxmox VE major versions a lab node can stand in for: 8 (Debian 12 bookworm) or 9 (Debian 13 trixie). */
export type Ve = 8 | 9;
/** What differs between the node versions (docs/dev/PVE9.md): the node's root and the Proxmox package versions. */
export const VE_RELEASES: Record<Ve, { suite: string; debian: number; pveManager: string; pveContainer: string }> = {
  8: { suite: 'bookworm', debian: 12, pveManager: '8.4.1', pveContainer: '5.2.6' },
  9: { suite: 'trixie', debian: 13, pveManager: '9.0.3', pveContainer: '6.0.9' },
};
/**
 * The read-only lower layer of a node's overlay root: a VE 8 node is this machine's own Debian 12 root; a VE 9 node
 * is the cached Debian 13 root of node/build-node-root.sh.
 */
export function nodeRoot(ve: Ve): string {
  return ve === 8 ? '/' : join(CACHE_DIR, `node-${VE_RELEASES[ve].suite}`);
}

/** `8`, `9`, `"8"`, `"9"` -> a {@link Ve}; anything else is an error naming where it came from. */
export function parseVe(value: unknown, where: string): Ve {
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (n === 8 || n === 9) return n;
  throw new Error(`${where}: Proxmox VE ${String(value)} is not one the lab runs (8 = bookworm, 9 = trixie)`);
}
/** Proxmox's id map for unprivileged containers: container id 0..65535 is host id 100000..165535. */
export const UNPRIVILEGED_ID_OFFSET = 100000;
/** The rootfs cache with every owner shifted by that offset: the lowest layer of unprivileged containers. */
export const ROOTFS_UNPRIVILEGED_DIR = join(CACHE_DIR, `rootfs-bookworm-${UNPRIVILEGED_ID_OFFSET}`);
/** Real /proc/devices of an H100 host: the lab's NVIDIA majors come from here (uvm 238, caps 241). */
export const PROC_DEVICES_FIXTURE = gpuFixture('proc-devices.txt');
/** Marker file saying a state dir was made by the lab (`down` removes only such dirs). */
export const NODE_MARKER = '.phoenix-lab-node';
