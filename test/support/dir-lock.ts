import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A lock between processes of this machine (checkouts running `npm test` at once share the lab): a directory holding
 * its owner's pid. A dead owner's lock, or one left without a pid for a minute, is taken over.
 */
export async function takeDirLock(path: string): Promise<void> {
  for (;;) {
    try {
      mkdirSync(path);
      writeFileSync(join(path, 'pid'), String(process.pid));
      return;
    } catch {
      if (isStale(path)) rmSync(path, { recursive: true, force: true });
      else await new Promise((res) => setTimeout(res, 200));
    }
  }
}

export function releaseDirLock(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

function isStale(path: string): boolean {
  try {
    return !existsSync(`/proc/${Number(readFileSync(join(path, 'pid'), 'utf8'))}`);
  } catch {
    try {
      return Date.now() - statSync(path).mtimeMs > 60_000;
    } catch {
      return false;
    }
  }
}
