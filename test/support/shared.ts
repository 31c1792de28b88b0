import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (this file runs from dist/test/support/). */
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * The read-only shared folder (fixtures from a real GPU host, the users' example config). CI lays a copy beside
 * the clone (`../shared`); PHOENIX_SHARED_DIR overrides; /work/shared is where a developer machine has it.
 */
export function sharedDir(): string {
  const candidates = [process.env.PHOENIX_SHARED_DIR, join(REPO_ROOT, '..', 'shared'), '/work/shared'];
  const found = candidates.find((c): c is string => Boolean(c) && existsSync(join(c!, 'fixtures')));
  if (!found) throw new Error(`the shared folder (fixtures, examples) is not beside the repository: looked in ${candidates.filter(Boolean).join(', ')}`);
  return found;
}

/** A file of the real GPU host's outputs, e.g. `proc-devices.txt`. */
export function gpuFixture(name: string): string {
  return join(sharedDir(), 'fixtures', 'gpu-h100-ubuntu2404', name);
}
