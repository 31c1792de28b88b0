import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { shellCommand } from '../../interpreter/connection/quote.js';
import { ModuleFailure, type ModuleContext } from '../types.js';
import type { AttributeSet } from './attributes.js';
import { createDirs, type DirPlan } from './parents.js';
import type { PathInfo } from './probe.js';
import { runChecked } from './run-checked.js';
import { splitWords, WORDS_EXPECTED, WORDS_PATTERN } from './split-words.js';

/** JSON schema of Ansible's `validate` argument: a command line (split like command's) that names the file as %s. */
export const validateSchema = {
  type: 'string',
  allOf: [{ pattern: '%s' }, { pattern: WORDS_PATTERN }],
  expected: `${WORDS_EXPECTED}, with %s where the file goes`,
} as const;

/**
 * Writes a whole file through the connection (temp + rename). Without attributes asked for, a replaced file keeps
 * its mode and owner, as Ansible's atomic_move does. With `validate` (Ansible's: a command with `%s`, split into
 * words, no shell), the temp file is checked first and only renamed into place when the command succeeds.
 * `parents`: the missing directories planning found ({@link DirPlan}), created first: the temp file is made in the
 * destination's directory, so that directory must exist before anything is written.
 */
export async function writeFile(
  ctx: ModuleContext,
  dest: string,
  content: Buffer | string,
  attrs: AttributeSet,
  existing: PathInfo | null,
  validate?: string,
  parents?: DirPlan,
): Promise<void> {
  await createDirs(ctx.conn, parents);
  const options = {
    mode: attrs.mode ?? existing?.mode ?? (ctx.holdsSecret?.(content) ? 0o600 : 0o644),
    owner: attrs.owner ?? (existing ? String(existing.uid) : undefined),
    group: attrs.group ?? (existing ? String(existing.gid) : undefined),
  };
  if (!validate) return ctx.conn.put(content, dest, options);
  const temp = posix.join(posix.dirname(dest), `.${posix.basename(dest)}.phoenix-validate-${randomBytes(4).toString('hex')}`);
  await ctx.conn.put(content, temp, options);
  const words = splitWords(validate).map((word) => word.replaceAll('%s', temp));
  const result = await ctx.conn.run(shellCommand(...words), { env: ctx.env });
  if (result.rc !== 0) {
    await ctx.conn.run(shellCommand('rm', '-f', '--', temp));
    throw new ModuleFailure(`failed to validate`, { exit_status: result.rc, stdout: result.stdout, stderr: result.stderr });
  }
  await runChecked(ctx.conn, shellCommand('mv', '-f', '--', temp, dest), `renaming ${temp} to ${dest}`);
}
