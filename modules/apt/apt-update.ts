import { raw, shellCommand } from '../../interpreter/connection/quote.js';
import { ModuleFailure, type ModuleContext } from '../types.js';

/** apt-get and dpkg without questions, in English (outputs are parsed), waiting for another apt's lock. */
export const APT_ENV = raw('DEBIAN_FRONTEND=noninteractive LC_ALL=C');
export const LOCK_WAIT = ['-o', 'DPkg::Lock::Timeout=120'];

/** The error lines of apt's output (`E: ...`), or its whole stderr when it printed none. */
export function aptErrors(stderr: string, stdout = ''): string {
  const errors = `${stdout}\n${stderr}`.split('\n').filter((l) => /^(E|Err):?/.test(l));
  return (errors.length ? errors.join('\n') : stderr.trim() || stdout.trim()).trim();
}

/** `apt-get update`; a failure is a ModuleFailure carrying apt's stderr (e.g. "Conflicting values set for option Signed-By"). */
export async function aptUpdate(ctx: ModuleContext): Promise<void> {
  const result = await ctx.conn.run(shellCommand(APT_ENV, 'apt-get', 'update', '-q', ...LOCK_WAIT), { env: ctx.env });
  if (result.rc !== 0) {
    throw new ModuleFailure(`apt-get update failed (exit ${result.rc}): ${result.stderr.trim() || result.stdout.trim()}`, {
      rc: result.rc,
      stdout: result.stdout,
      stderr: result.stderr,
    });
  }
}
