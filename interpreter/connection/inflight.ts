import { rmSync } from 'node:fs';

/**
 * Temp files being written on this machine right now. A second Ctrl-C ends phoenix with process.exit(99) in the middle
 * of a write; the destination is safe (temp + rename), but the partial temp would stay beside it. One 'exit' hook
 * removes what is still listed. Process-wide by nature: exit is.
 */
const inflight = new Set<string>();
let hooked = false;

/** Lists `path` until the returned function is called (after the rename, or after removing it on failure). */
export function trackTempFile(path: string): () => void {
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const file of inflight) rmSync(file, { force: true });
    });
  }
  inflight.add(path);
  return () => void inflight.delete(path);
}
