import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { LocalConnection } from '../../interpreter/connection/local.js';
import type { CommandResult, Connection, PutOptions, RunOptions } from '../../interpreter/connection/types.js';

/** mulberry32: a small seeded PRNG, so every failure names a seed that reproduces it. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The name every injection payload would create in the working directory. */
export const CANARY = 'CANARY';

/** Pieces a shell treats specially; every payload that could run something creates {@link CANARY}. */
const FRAGMENTS = [
  `'`, `"`, '$(touch CANARY)', '`touch CANARY`', ';touch CANARY', '\n', '\ntouch CANARY\n', '&&touch CANARY',
  '||touch CANARY', '|touch CANARY', '>CANARY', '>>CANARY', '<CANARY', '&', '*', '?', '[a]', '[!x]', '{a,b}', '~', '~root',
  '$HOME', '${IFS}', '$1', '$@', '$', '\\', `\\'`, ' ', '  ', '\t', '\r', '-', '--', '-rf', '--help', '-e', '#', '!', '%s',
  '%n', 'é', 'ü', '日本語', '🚀', '\u202e', '\u00a0', '=', ',', ':', '@', '(', ')', '{', '}', ';', `'"'"'`, '"$(touch CANARY)"',
  `'$(touch CANARY)'`, '$((1+1))', '<<EOF', '\\n', '%', '^', '..',
];

export interface HostileOptions {
  /** A single path component: no '/', at most 200 bytes, never '.' or '..'. */
  fileName?: boolean;
  /** No line breaks (a line of a file). */
  singleLine?: boolean;
  /** Allow a very long value (thousands of characters) now and then. */
  long?: boolean;
}

/** One hostile string: shell metacharacters, payloads, unicode, leading dashes, sometimes very long. */
export function hostileString(rand: () => number, options: HostileOptions = {}): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)];
  const parts: string[] = [];
  if (rand() < 0.25) parts.push(pick(['-', '--', '-rf ', '--x=']));
  const count = 1 + Math.floor(rand() * 7);
  for (let i = 0; i < count; i++) {
    const r = rand();
    if (r < 0.6) parts.push(pick(FRAGMENTS));
    else if (r < 0.85) parts.push(String.fromCharCode(32 + Math.floor(rand() * 95)));
    else parts.push(String.fromCodePoint(0xa0 + Math.floor(rand() * 0xd000)));
  }
  let text = parts.join('');
  if (options.long && rand() < 0.03) text = text.repeat(Math.ceil((2000 + rand() * 8000) / Math.max(1, text.length)));
  if (options.singleLine || options.fileName) text = text.replace(/[\n\r]/g, ' ');
  if (options.fileName) {
    text = text.replace(/\//g, '_');
    while (Buffer.byteLength(text) > 200) text = text.slice(0, -1);
    if (text === '' || text === '.' || text === '..') text = `x${text}x`;
  }
  return text;
}

/** Every path under `dir` whose last component is exactly {@link CANARY}: proof that a payload ran. */
export function findCanaries(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.name === CANARY) found.push(join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name));
  }
  return found;
}

/** Commands a stub host answers; each logs its argv. `pct exec ... --` and `flock -w N LOCK` run the rest. */
const STUB_NAMES = [
  'pct', 'pvesh', 'pveversion', 'apt-get', 'apt-cache', 'dpkg', 'dpkg-query', 'cat', 'stat', 'mkdir', 'flock', 'rm', 'mv',
  'cp', 'chmod', 'chown', 'sha256sum', 'curl', 'wget', 'python3', 'gpg', 'ls', 'nvidia-smi', 'modprobe', 'nvidia-modprobe',
  'sed', 'grep', 'head', 'tail', 'tr', 'cut', 'df', 'find', 'install', 'ln', 'uname', 'id', 'mktemp', 'sync', 'readlink',
  'realpath', 'nproc', 'test', 'lsmod', 'systemctl', 'lxc-info', 'du', 'awk', 'xargs', 'sort', 'wc', 'tee', 'dd', 'env',
  'sudo', 'timeout', 'nvidia-installer', 'base64', 'sha1sum',
];

const RECORD_END = '\u001e';

const STUB = `#!/bin/sh
{ printf '%s\\0' "\${0##*/}"; for a in "$@"; do printf '%s\\0' "$a"; done; printf '${RECORD_END}\\0'; } >> "$STUB_LOG"
case "\${0##*/}" in
  pct) if [ "$1" = exec ]; then shift 2; [ "$1" = -- ] && shift; exec "$@"; fi ;;
  flock) shift 3; exec "$@" ;;
  mktemp) printf '%s/.stub-tmp-%s\n' "$HOME" "$$" ;;
  cat) [ "$1" = /proc/devices ] && [ -n "$STUB_PROC_DEVICES" ] && printf '%s' "$STUB_PROC_DEVICES" ;;
esac
exit 0
`;

/**
 * A Proxmox node made of harmless stubs: commands run for real through /bin/sh -c in a sandbox whose PATH holds only
 * stubs that log their argv (plus the real `sh` and `touch`, so an injected payload would leave a canary). Files go
 * through a real LocalConnection.
 */
export class StubHost implements Connection {
  readonly results: Array<{ command: string } & CommandResult> = [];
  private readonly files: LocalConnection;
  readonly bin: string;
  readonly log: string;

  /** What the `cat /proc/devices` stub prints (empty by default). */
  procDevices = '';

  constructor(readonly sandbox: string, readonly host = 'pve') {
    this.files = new LocalConnection(host);
    this.bin = join(sandbox, '.stub-bin');
    this.log = join(sandbox, '.stub-log');
    mkdirSync(this.bin, { recursive: true });
    const stub = join(this.bin, '.stub');
    writeFileSync(stub, STUB);
    chmodSync(stub, 0o755);
    for (const name of STUB_NAMES) symlinkSync(stub, join(this.bin, name));
    symlinkSync('/bin/sh', join(this.bin, 'sh'));
    symlinkSync(existsSync('/usr/bin/touch') ? '/usr/bin/touch' : '/bin/touch', join(this.bin, 'touch'));
    writeFileSync(this.log, '');
  }

  run(command: string, options: RunOptions = {}): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', command], {
        cwd: this.sandbox, env: { PATH: this.bin, STUB_LOG: this.log, HOME: this.sandbox, STUB_PROC_DEVICES: this.procDevices }, stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.on('error', reject);
      child.on('close', (code) => {
        const result = { rc: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
        this.results.push({ command, ...result });
        resolve(result);
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.stdin ?? '');
    });
  }

  put(content: string | Buffer, remotePath: string, options?: PutOptions): Promise<void> {
    return this.files.put(content, remotePath, options);
  }

  get(remotePath: string): Promise<Buffer | null> {
    return this.files.get(remotePath);
  }

  async close(): Promise<void> {}

  /** Every stub invocation so far, as argv (program name first). */
  calls(): string[][] {
    const fields = readFileSync(this.log).toString('utf8').split('\0');
    const calls: string[][] = [];
    let current: string[] = [];
    for (const field of fields) {
      if (field === RECORD_END) {
        calls.push(current);
        current = [];
      } else current.push(field);
    }
    return calls;
  }

  /** Shell complaints that mean a command line was built wrong (a quoting bug shows up as one of these). */
  syntaxErrors(): string[] {
    return this.results.filter((r) => /syntax error|unexpected|unterminated|bad substitution/i.test(r.stderr))
      .map((r) => `${r.command}\n  -> ${r.stderr.trim()}`);
  }
}
