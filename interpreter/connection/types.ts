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
}

export interface PutOptions {
  /** Octal file mode, e.g. 0o644. */
  mode?: number;
  owner?: string;
  group?: string;
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
