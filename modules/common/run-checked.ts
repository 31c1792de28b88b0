import type { CommandResult, Connection, RunOptions } from '../../interpreter/connection/types.js';
import { ModuleFailure } from '../types.js';

/** Runs a command that must succeed; a non-zero exit becomes a ModuleFailure naming `what` and stderr. */
export async function runChecked(conn: Connection, command: string, what: string, options?: RunOptions): Promise<CommandResult> {
  const result = await conn.run(command, options);
  if (result.rc !== 0) {
    const detail = result.stderr.trim() || result.stdout.trim() || `exit code ${result.rc}`;
    throw new ModuleFailure(`${what} failed: ${detail}`, { rc: result.rc, stdout: result.stdout, stderr: result.stderr });
  }
  return result;
}
