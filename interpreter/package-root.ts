import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * phoenix's own directory (package.json beside bin/phoenix.js), found upwards from `from` (an import.meta.url):
 * the same answer from dist/interpreter/... and from the dist bundle. Undefined when not found.
 */
export function packageRoot(from: string): string | undefined {
  for (let dir = dirname(fileURLToPath(from)); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bin', 'phoenix.js'))) return dir;
  }
  return undefined;
}
