import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gpuFixture } from '../test/support/shared.js';

/** Repository root (this file runs from dist/lab/). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Shell side of the node, shipped as sources (not compiled). */
export const NODE_SCRIPTS = join(REPO_ROOT, 'lab', 'node');
/** Where the lab writes what users need: inventory, keys, known_hosts, lab.json. Git-ignored. */
export const LAB_DIR = join(REPO_ROOT, '.lab');
/** Everything a node is made of; `down` removes it. */
export const STATE_ROOT = '/var/lib/phoenix-lab';
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
