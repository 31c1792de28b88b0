import { chmodSync, existsSync, lchownSync, lstatSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { must } from './exec.js';
import { CACHE_DIR, NODE_SCRIPTS, ROOTFS_DIR, ROOTFS_UNPRIVILEGED_DIR, UNPRIVILEGED_ID_OFFSET, nodeRoot, type Ve } from './paths.js';

/**
 * Makes sure the root of a VE `ve` node exists: nothing to build for VE 8 (this machine's root); for VE 9 the
 * Debian 13 root of node/build-node-root.sh, rebuilt when its stamp is missing or names other packages than the
 * script installs now. Returns whether it had to build.
 */
export async function ensureNodeRoot(ve: Ve, log: (line: string) => void = () => undefined): Promise<boolean> {
  if (ve === 8) return false;
  const root = nodeRoot(ve);
  const script = join(NODE_SCRIPTS, 'build-node-root.sh');
  const pkgs = /^pkgs=(\S+)$/m.exec(readFileSync(script, 'utf8'))?.[1] ?? '';
  const stamp = existsSync(`${root}.stamp`) ? readFileSync(`${root}.stamp`, 'utf8') : '';
  if (stamp.split(' ')[2] === pkgs && existsSync(join(root, 'usr', 'sbin', 'sshd'))) return false;
  log(`building the Proxmox VE ${ve} node root in ${root} (debootstrap of Debian 13, a few minutes)`);
  await must('sh', [script, CACHE_DIR]);
  return true;
}

/**
 * Makes sure the cached container rootfs exists (Debian bookworm minbase from debootstrap), building it when its
 * stamp is missing, and its copy for unprivileged containers. Returns whether it had to build (a cold start).
 */
export async function ensureRootfs(log: (line: string) => void = () => undefined): Promise<boolean> {
  let built = false;
  if (!existsSync(`${ROOTFS_DIR}.stamp`) || !existsSync(join(ROOTFS_DIR, 'usr', 'bin', 'tini'))) {
    log(`building the container rootfs cache in ${ROOTFS_DIR} (debootstrap, about a minute)`);
    await must('sh', [join(NODE_SCRIPTS, 'build-rootfs.sh'), CACHE_DIR]);
    rmSync(`${ROOTFS_UNPRIVILEGED_DIR}.stamp`, { force: true });
    built = true;
  }
  if (!existsSync(`${ROOTFS_UNPRIVILEGED_DIR}.stamp`)) {
    log(`shifting a copy of the rootfs cache by ${UNPRIVILEGED_ID_OFFSET} for unprivileged containers (${ROOTFS_UNPRIVILEGED_DIR})`);
    await buildShiftedCopy(ROOTFS_DIR, ROOTFS_UNPRIVILEGED_DIR, UNPRIVILEGED_ID_OFFSET);
    built = true;
  }
  return built;
}

/**
 * The rootfs as an unprivileged container's disk holds it on Proxmox: every owner and group shifted into the
 * container's id range (pve-container extracts the template through the CT's id map; root is 100000 on the host).
 * Copied first (cp -a), shifted, then renamed into place; the stamp is written last.
 */
async function buildShiftedCopy(source: string, target: string, offset: number): Promise<void> {
  const work = `${target}.building`;
  rmSync(work, { recursive: true, force: true });
  await must('cp', ['-a', source, work]);
  shiftOwners(work, offset);
  rmSync(target, { recursive: true, force: true });
  renameSync(work, target);
  writeFileSync(`${target}.stamp`, `copy of ${source}, owners and groups + ${offset}\n`);
}

/**
 * Adds `offset` to the owner and group of every file under `root` (links themselves, not their targets). chown
 * clears setuid/setgid bits, so they are put back: `passwd` stays setuid root, that is the container's root.
 */
export function shiftOwners(root: string, offset: number): void {
  const stack = [root];
  while (stack.length > 0) {
    const path = stack.pop()!;
    const st = lstatSync(path);
    lchownSync(path, st.uid + offset, st.gid + offset);
    if (!st.isSymbolicLink() && (st.mode & 0o6000) !== 0) chmodSync(path, st.mode & 0o7777);
    if (st.isDirectory()) for (const entry of readdirSync(path)) stack.push(join(path, entry));
  }
}
