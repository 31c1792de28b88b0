import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gpuFixture } from '../test/support/shared.js';

/** Repository root (this file runs from dist/lab/). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Shell side of the node, shipped as sources (not compiled). */
export const NODE_SCRIPTS = join(REPO_ROOT, 'lab', 'node');
/** Where the lab writes what users need: inventory, keys, known_hosts, lab.json. Git-ignored. */
export const LAB_DIR = join(REPO_ROOT, '.lab');
/**
 * Which lab of this machine: `PHOENIX_LAB_INSTANCE=<1..9>` gives a second checkout its own lab beside the default
 * one (0): its own state root, ports shifted by 1000 x N, its own artifact tree. Containers of both labs may share
 * VMIDs: each node has its own LXC path.
 */
export const LAB_INSTANCE = labInstance(process.env.PHOENIX_LAB_INSTANCE);
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
/** Proxmox's id map for unprivileged containers: container id 0..65535 is host id 100000..165535. */
export const UNPRIVILEGED_ID_OFFSET = 100000;
/** The rootfs cache with every owner shifted by that offset: the lowest layer of unprivileged containers. */
export const ROOTFS_UNPRIVILEGED_DIR = join(CACHE_DIR, `rootfs-bookworm-${UNPRIVILEGED_ID_OFFSET}`);
/** Real /proc/devices of an H100 host: the lab's NVIDIA majors come from here (uvm 238, caps 241). */
export const PROC_DEVICES_FIXTURE = gpuFixture('proc-devices.txt');
/** Marker file saying a state dir was made by the lab (`down` removes only such dirs). */
export const NODE_MARKER = '.phoenix-lab-node';
