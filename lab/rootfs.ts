import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { must } from './exec.js';
import { CACHE_DIR, NODE_SCRIPTS, ROOTFS_DIR } from './paths.js';

/**
 * Makes sure the cached container rootfs exists (Debian bookworm minbase from debootstrap), building it when its
 * stamp is missing. Returns whether it had to build (a cold start).
 */
export async function ensureRootfs(log: (line: string) => void = () => undefined): Promise<boolean> {
  if (existsSync(`${ROOTFS_DIR}.stamp`) && existsSync(join(ROOTFS_DIR, 'usr', 'bin', 'tini'))) return false;
  log(`building the container rootfs cache in ${ROOTFS_DIR} (debootstrap, about a minute)`);
  await must('sh', [join(NODE_SCRIPTS, 'build-rootfs.sh'), CACHE_DIR]);
  return true;
}
