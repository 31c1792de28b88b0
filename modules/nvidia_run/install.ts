import { shellCommand } from '../../interpreter/connection/quote.js';
import { CommandTimeoutError, type Connection } from '../../interpreter/connection/types.js';
import { ModuleFailure } from '../types.js';

/** nvidia-installer's default log (`DEFAULT_LOG_FILE_NAME`, domain.md 2.2): its `ERROR:` lines explain a failure. */
export const DEFAULT_LOG_FILE = '/var/log/nvidia-installer.log';

/** Installs Debian packages; when apt does not know them, updates the lists once and tries again. */
export async function aptInstall(conn: Connection, packages: string[], timeoutMs: number): Promise<void> {
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  const install = shellCommand('apt-get', 'install', '-y', '-q', '--no-install-recommends', ...packages);
  let r = await conn.run(install, { env, timeoutMs });
  if (r.rc !== 0) {
    await conn.run(shellCommand('apt-get', 'update', '-q'), { env, timeoutMs });
    r = await conn.run(install, { env, timeoutMs });
  }
  if (r.rc !== 0) {
    throw new ModuleFailure(`apt-get install ${packages.join(' ')} on ${conn.host} failed: ${tail(r.stderr || r.stdout)}`, { rc: r.rc });
  }
}

/** Runs the installer command; a non-zero exit fails the task with its errors and the log's `ERROR:` lines. */
export async function runInstaller(conn: Connection, command: string, timeoutMs: number): Promise<void> {
  const r = await conn.run(command, { timeoutMs }).catch((error: unknown) => {
    if (!(error instanceof CommandTimeoutError)) throw error;
    throw new ModuleFailure(`the NVIDIA installer on ${conn.host} did not finish within ${timeoutMs / 1000} s (raise timeout); ` +
      `see ${DEFAULT_LOG_FILE} there`, { command });
  });
  if (r.rc === 0) return;
  const log = await conn.run(`grep -A3 '^ERROR:' ${DEFAULT_LOG_FILE} 2>/dev/null | tail -n 12`);
  throw new ModuleFailure(`the NVIDIA installer failed on ${conn.host} (exit ${r.rc}): ${tail(r.stderr || r.stdout)}` +
    (log.stdout.trim() ? `\n${DEFAULT_LOG_FILE}:\n${log.stdout.trim()}` : ''), { rc: r.rc, stdout: r.stdout, stderr: r.stderr, command });
}

/** The last lines of a command's output, enough to say why it failed. */
function tail(text: string): string {
  return text.trim().split('\n').filter((l) => l.trim()).slice(-6).join('\n') || 'no output';
}
