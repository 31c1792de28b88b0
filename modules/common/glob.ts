import { quote, raw, shellCommand } from '../../interpreter/connection/quote.js';
import type { Connection } from '../../interpreter/connection/types.js';
import { ModuleFailure } from '../types.js';

/**
 * A shell word that globs like Python's `glob.glob(pattern)`: only `*`, `?` and `[`/`]` stay unquoted (they are
 * single constant characters), every other run of characters is quoted, so nothing else is ever expanded.
 */
export function globWord(pattern: string): string {
  return pattern
    .split(/([*?[\]])/)
    .filter((part) => part !== '')
    .map((part) => (/^[*?[\]]$/.test(part) ? part : quote(part)))
    .join('');
}

/** True when something on the host matches the pattern (creates/removes of command and shell). */
export async function globExists(conn: Connection, pattern: string): Promise<boolean> {
  const command = shellCommand(
    raw(`for f in ${globWord(pattern)}; do if test -e "$f" || test -L "$f"; then exit 0; fi; done; exit 1`),
  );
  const result = await conn.run(command);
  if (result.rc > 1) throw new ModuleFailure(`cannot check ${pattern}: ${result.stderr.trim()}`);
  return result.rc === 0;
}
