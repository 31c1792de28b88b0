import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalConnection } from '../../../interpreter/connection/local.js';
import { raw, shellCommand } from '../../../interpreter/connection/quote.js';
import type { CommandResult, Connection, PutOptions, RunOptions } from '../../../interpreter/connection/types.js';

/**
 * This machine's own apt and dpkg, in a private mount namespace: /etc, /usr and /var are overlays whose writes land in
 * a temp dir, and the sources, preferences and apt lists start empty. apt_repo and apt run their real commands
 * (apt-get update, dpkg-query, apt-get install) against real files there; the machine's own apt is never touched.
 * Needs root and unshare/nsenter (util-linux); {@link privateAptSkipReason} says when that is not available.
 */
export class PrivateApt implements Connection {
  readonly host = 'private-apt';
  /** Commands run so far (a no-op plan should cost one). */
  commands = 0;
  private readonly local = new LocalConnection('private-apt');

  private constructor(private readonly child: ChildProcess, private readonly dir: string) {}

  static async start(): Promise<PrivateApt> {
    const dir = mkdtempSync(join(tmpdir(), 'phoenix-private-apt-'));
    const setup = [
      'set -e',
      'for d in etc usr var; do mkdir -p "$1/$d.up" "$1/$d.work"',
      '  mount -t overlay overlay -o "lowerdir=/$d,upperdir=$1/$d.up,workdir=$1/$d.work" "/$d"; done',
      'rm -rf /etc/apt/sources.list /etc/apt/sources.list.d /etc/apt/preferences.d /var/lib/apt/lists /var/cache/apt',
      'mkdir -p /etc/apt/sources.list.d /etc/apt/preferences.d /var/lib/apt/lists/partial /var/cache/apt/archives/partial',
      'echo ready',
      'exec sleep 86400',
    ].join('\n');
    const child = spawn('unshare', ['-m', '--propagation', 'private', '--', '/bin/sh', '-c', setup, 'sh', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      child.stdout!.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`private apt namespace exited ${code}: ${err}`)));
    });
    return new PrivateApt(child, dir);
  }

  run(command: string, options: RunOptions = {}): Promise<CommandResult> {
    this.commands++;
    // A target's PATH, not the test runner's (which may lead to tools outside the namespace's overlays).
    const env = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...options.env };
    return this.local.run(shellCommand('nsenter', '-t', this.child.pid!, '-m', '--', '/bin/sh', '-c', command), { ...options, env });
  }

  async put(content: string | Buffer, remotePath: string, options: PutOptions = {}): Promise<void> {
    const temp = `${remotePath}.phoenix-tmp`;
    const mode = (options.mode ?? 0o644).toString(8);
    const script = shellCommand('cat', raw('>'), temp, raw('&& chmod'), mode, temp, raw('&& mv -f'), temp, remotePath);
    const result = await this.run(script, { stdin: content });
    if (result.rc !== 0) throw new Error(`put ${remotePath}: ${result.stderr}`);
  }

  async get(remotePath: string): Promise<Buffer | null> {
    const result = await this.run(shellCommand('base64', '-w0', '--', remotePath));
    return result.rc === 0 ? Buffer.from(result.stdout, 'base64') : null;
  }

  /** Runs a shell script in the namespace; throws when it fails. */
  async must(script: string): Promise<string> {
    const result = await this.run(script);
    if (result.rc !== 0) throw new Error(`private apt: ${script}: exit ${result.rc}: ${result.stderr || result.stdout}`);
    return result.stdout;
  }

  /** Writes files (path → content) in the namespace. */
  async writeFiles(files: Record<string, string>): Promise<void> {
    for (const [path, content] of Object.entries(files)) {
      await this.must(shellCommand('mkdir', '-p', '--', path.replace(/\/[^/]*$/, '') || '/'));
      await this.put(content, path);
    }
  }

  async close(): Promise<void> {
    this.child.kill('SIGKILL');
    await new Promise((resolve) => (this.child.exitCode !== null ? resolve(null) : this.child.once('exit', resolve)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Why the private namespace cannot be made here, or undefined when it can. */
export function privateAptSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (mount namespaces with overlayfs)';
  const probe = spawnSync('unshare', ['-m', '--propagation', 'private', '--', 'true']);
  if (probe.status !== 0) return `unshare -m does not work here: ${probe.stderr?.toString().trim()}`;
  if (spawnSync('apt-get', ['--version']).status !== 0) return 'apt-get is not installed';
  return undefined;
}
