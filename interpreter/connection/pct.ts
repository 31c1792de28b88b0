import { randomBytes } from 'node:crypto';
import { raw, shellCommand } from './quote.js';
import { UnreachableError, type CommandResult, type Connection, type PutOptions, type RunOptions, type ShellTarget } from './types.js';

/** How to reach one container: through its node's connection, by vmid. */
export interface PctOptions {
  /** The node's connection (ssh, or local when phoenix runs on the node); one per node, shared by its containers. */
  node: Connection;
  /** Inventory name of the node, for messages. */
  nodeName: string;
  vmid: number | string;
  /** The `pct` program on the node (default `pct`). */
  pct?: string;
}

/** Marker the get script prints to stderr when the file does not exist. */
const MISSING = 'phoenix: no such file';
const MISSING_RC = 3;

/** `export NAME='value'; ` for each variable, to run before a command inside the container. */
function envExports(env?: Record<string, string>): string {
  return Object.entries(env ?? {}).map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid environment variable name: ${name}`);
    return `export ${name}=${shellCommand(value)}; `;
  }).join('');
}

/** `pct exec <vmid> -- sh -c '<command>'`, with env exported inside the container. */
export function pctExecCommand(vmid: number | string, command: string, env?: Record<string, string>, pct = 'pct'): string {
  return shellCommand(pct, 'exec', String(vmid), '--', 'sh', '-c', envExports(env) + command);
}

/**
 * The container's kept shell (see ShellTarget): `pct exec <vmid> -- setsid -w /bin/sh` on the node, a session and
 * process group of its own inside the container (Ctrl-C goes to that group with `pct exec <vmid> -- sh -c 'kill …'`).
 * The same command as {@link pctExecCommand} runs in it: `sh -c` there, a subshell here, both inside the container.
 */
export function pctShellTarget(vmid: number | string, command: string, env?: Record<string, string>, pct = 'pct'): ShellTarget {
  const id = String(vmid);
  return {
    start: shellCommand(pct, 'exec', id, '--', 'setsid', '-w', '/bin/sh'),
    command: envExports(env) + command,
    beside: shellCommand(pct, 'exec', id, '--'),
  };
}

/**
 * One node command that pushes a node file into the container under a temp name next to the destination,
 * renames it into place inside the container (atomic there), and always removes the node file.
 */
export function pctPutCommand(vmid: number | string, nodeFile: string, dest: string, ctTemp: string,
  options: PutOptions = {}, pct = 'pct'): string {
  const id = String(vmid);
  const perms = (options.mode ?? 0o644).toString(8).padStart(4, '0');
  const push = shellCommand(pct, 'push', id, nodeFile, ctTemp, '--perms', perms,
    ...(options.owner ? ['--user', options.owner] : []), ...(options.group ? ['--group', options.group] : []));
  const move = shellCommand(pct, 'exec', id, '--', 'mv', '-f', '--', ctTemp, dest);
  const cleanup = shellCommand(pct, 'exec', id, '--', 'rm', '-f', '--', ctTemp);
  return `${push} && { ${move} || { rc=$?; ${cleanup}; (exit $rc); }; }; rc=$?; ` +
    `${shellCommand('rm', '-f', '--', nodeFile)}; exit $rc`;
}

/** `pct exec` that prints the file as base64 (binary-safe through a text result), or exits 3 when it is missing. */
export function pctGetCommand(vmid: number | string, path: string, pct = 'pct'): string {
  return shellCommand(pct, 'exec', String(vmid), '--', 'sh', '-c', getScript(path));
}

/** Inside the container: the file as base64, or exit 3 with {@link MISSING} when it does not exist. */
function getScript(path: string): string {
  return [
    shellCommand('test', '-e', path), raw(`|| { echo '${MISSING}' >&2; exit ${MISSING_RC}; };`).text,
    shellCommand('base64', '--', path),
  ].join(' ');
}

/** Recognises pct's own complaints about the container (stopped, missing) in a failed node command. */
export function containerProblem(result: CommandResult, vmid: number | string, nodeName: string,
  host: string): UnreachableError | undefined {
  if (result.rc === 0) return undefined;
  const id = String(vmid).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const err = result.stderr;
  const where = `container ${vmid} on node ${nodeName}`;
  if (new RegExp(`container '?${id}'? not running|can only push files to a running CT|CT is not running`, 'i').test(err)) {
    return new UnreachableError(host, `${where} is not running; start it (pct start ${vmid}) or add a ` +
      '`pct: state=started` task first');
  }
  if (new RegExp(`(Configuration file '[^']*/${id}\\.conf' does not exist|CT ${id} does not exist|no such container)`, 'i')
    .test(err)) {
    return new UnreachableError(host, `${where} does not exist (pct says: ${err.trim().split('\n')[0]}); check ` +
      'proxmox_vmid and proxmox_node in the inventory');
  }
  if (result.rc === 127 && /pct: (command )?not found/.test(err)) {
    return new UnreachableError(host, `node ${nodeName} has no pct command; is it a Proxmox VE node?`);
  }
  return undefined;
}

/** A container reached through its Proxmox node's connection with `pct exec` / `pct push` (no SSH per container). */
export class PctConnection implements Connection {
  private readonly pct: string;

  constructor(readonly host: string, private readonly options: PctOptions) {
    this.pct = options.pct ?? 'pct';
  }

  /** Commands in the container run as its root; `become` only affects the node side (pct needs root there). */
  async run(command: string, options: RunOptions = {}): Promise<CommandResult> {
    const line = pctExecCommand(this.options.vmid, command, options.env, this.pct);
    const viaShell = pctShellTarget(this.options.vmid, command, options.env, this.pct);
    return this.onNode(line, { stdin: options.stdin, timeoutMs: options.timeoutMs, signal: options.signal, viaShell });
  }

  async put(content: string | Buffer, remotePath: string, options: PutOptions = {}): Promise<void> {
    const tag = randomBytes(6).toString('hex');
    const nodeFile = `/tmp/.phoenix-pct-${this.options.vmid}-${tag}`;
    await this.options.node.put(content, nodeFile, { mode: 0o600 });
    const line = pctPutCommand(this.options.vmid, nodeFile, remotePath, `${remotePath}.phoenix-tmp-${tag}`, options,
      this.pct);
    const result = await this.onNode(line, {});
    if (result.rc !== 0) {
      throw new Error(`${this.host}: cannot write ${remotePath} in container ${this.options.vmid}: ` +
        `${result.stderr.trim() || `rc ${result.rc}`}`);
    }
  }

  async get(remotePath: string): Promise<Buffer | null> {
    const result = await this.onNode(pctGetCommand(this.options.vmid, remotePath, this.pct), {
      viaShell: pctShellTarget(this.options.vmid, getScript(remotePath), undefined, this.pct),
    });
    if (result.rc === MISSING_RC && result.stderr.includes(MISSING)) return null;
    if (result.rc !== 0) {
      throw new Error(`${this.host}: cannot read ${remotePath} in container ${this.options.vmid}: ` +
        `${result.stderr.trim() || `rc ${result.rc}`}`);
    }
    return Buffer.from(result.stdout, 'base64');
  }

  /** The node connection belongs to the pool and its other containers: closing a container leaves it open. */
  async close(): Promise<void> {}

  private async onNode(line: string, options: RunOptions): Promise<CommandResult> {
    const result = await this.options.node.run(line, { ...options, become: true });
    const problem = containerProblem(result, this.options.vmid, this.options.nodeName, this.host);
    if (problem) throw problem;
    return result;
  }
}
