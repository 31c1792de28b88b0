/** What running a command produced. A non-zero exit code is data, not an error. */
export interface CommandResult {
  rc: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Bytes written to the command's standard input, then closed. */
  stdin?: string | Buffer;
  /** Kill the command and throw {@link CommandTimeoutError} after this long. */
  timeoutMs?: number;
  /** Environment variables for the command (added to the remote defaults). */
  env?: Record<string, string>;
  /** Run through sudo (ssh connections for non-root users). */
  become?: boolean;
  /**
   * The run's interrupt (Ctrl-C): a command is not started once it is aborted, and a running one gets SIGINT.
   * Such a command resolves with rc 130, like a shell's. Honoured by the local connection.
   */
  signal?: AbortSignal;
  /**
   * Run in a long-lived shell that the host keeps for one target (a container, through `pct exec` on its node)
   * instead of as `command`, when the transport keeps such shells (SSH with persistent shells); other transports
   * run `command`, which must do the same thing on its own.
   */
  viaShell?: ShellTarget;
}

/**
 * A shell a host starts for commands of one target: `pct exec 901 -- setsid -w /bin/sh` on the node starts a shell
 * inside container 901 that reads one command after another, so a container command costs one round trip instead of
 * a `pct exec` each (a Perl start-up on Proxmox). The host runs `start` and `beside` as root (become).
 */
export interface ShellTarget {
  /** Host command line that starts the shell; it must read commands on stdin and be its own process group leader. */
  start: string;
  /** What to run in that shell. */
  command: string;
  /** Host command prefix that runs a command next to the shell, in its world (`pct exec 901 --`): for Ctrl-C of its process group. */
  beside: string;
}

export interface PutOptions {
  /** Octal file mode, e.g. 0o644. */
  mode?: number;
  owner?: string;
  group?: string;
}

/** What SFTP's stat tells about a path (no link count, inode or ctime: SFTP v3 has none). */
export interface FileStat {
  /** st_mode with the file type bits. */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Whole seconds. */
  atime: number;
  mtime: number;
  /** A symlink's `readlink` and its fully resolved path (lstat of a link only). */
  linkTarget?: string;
  linkSource?: string;
}

/** uid and gid to names, from the host's /etc/passwd and /etc/group. */
export interface IdNames {
  users: Record<string, string>;
  groups: Record<string, string>;
}

/**
 * The tiny transport every module uses. `command` is one shell command line built with `shellCommand`/`quote`.
 * Only transport failures throw ({@link UnreachableError}); exit codes come back in the result.
 */
export interface Connection {
  /** Inventory name of the host this connection reaches. */
  readonly host: string;
  run(command: string, options?: RunOptions): Promise<CommandResult>;
  /** Writes a file atomically: a temp file in the same directory, then rename. */
  put(content: string | Buffer, remotePath: string, options?: PutOptions): Promise<void>;
  /** Reads a whole remote file; resolves to null when it does not exist. */
  get(remotePath: string): Promise<Buffer | null>;
  close(): Promise<void>;
  /**
   * Optional, for transports with a file protocol (SSH's SFTP): stats a path without starting a process on the
   * host. null: no such path; undefined: the file protocol cannot answer this one (sudo needed, permission, error),
   * so run a command instead.
   */
  statPath?(path: string, options: { follow?: boolean; become?: boolean }): Promise<FileStat | null | undefined>;
  /** Optional, with {@link statPath}: the host's uid/gid names (undefined when they cannot be read). */
  idNames?(): Promise<IdNames | undefined>;
  /**
   * Set by a wrapper that only adds options (a task's become and environment, a counter): the connection it wraps,
   * the one host connection that per-connection memos key on ({@link connectionIdentity}).
   */
  readonly base?: Connection;
  /** Set by the task wrapper: its commands run with become (what they may read can differ from the login's). */
  readonly become?: boolean;
}

/**
 * Who reads what on which host, for answers shared between tasks (ModuleContext.whileUnchanged): the target's name,
 * and whether the task's commands run with become (a login that may not read /etc/pve must not answer for root).
 */
export function readerKey(conn: Connection): string {
  return conn.become ? `${conn.host}\0become` : conn.host;
}

/** The host connection behind any wrappers: what a memo of one answer per connection keys on. */
export function connectionIdentity(conn: Connection): Connection {
  return conn.base ?? conn;
}

/** The host could not be reached or the transport broke: the host is `unreachable`, the others go on. */
export class UnreachableError extends Error {
  constructor(readonly host: string, message: string) {
    super(message);
    this.name = 'UnreachableError';
  }
}

/** A command ran longer than its timeout. */
export class CommandTimeoutError extends Error {
  constructor(readonly command: string, readonly timeoutMs: number) {
    super(`command timed out after ${timeoutMs} ms`);
    this.name = 'CommandTimeoutError';
  }
}
