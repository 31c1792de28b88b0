/** A place in a source file (1-based line and column). */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** Extra context an error may carry; everything is optional so errors can be raised early and enriched later. */
export interface ErrorContext {
  pos?: SourcePosition;
  /** JSON path (e.g. `$.lxc_configs["901"].gpu_assignment`) for errors in JSON configuration. */
  jsonPath?: string;
  /** What the user should do about it. */
  hint?: string;
  host?: string;
  task?: string;
}

/**
 * Every error phoenix reports. `code` is stable (tests assert it, never the wording);
 * the exit code follows ansible-playbook: 4 for anything found by reading files, 1 for other pre-run errors, 5 for CLI misuse.
 */
export class PhoenixError extends Error {
  readonly code: string;
  pos?: SourcePosition;
  jsonPath?: string;
  hint?: string;
  host?: string;
  task?: string;
  readonly exitCode: number;

  constructor(code: string, message: string, context: ErrorContext = {}, exitCode = 4) {
    super(message);
    this.name = 'PhoenixError';
    this.code = code;
    this.exitCode = exitCode;
    Object.assign(this, context);
  }
}

/** Collects errors during loading and validation so all of them are reported at once, before any host is touched. */
export class ErrorList {
  readonly errors: PhoenixError[] = [];

  add(error: PhoenixError): void {
    this.errors.push(error);
  }

  get empty(): boolean {
    return this.errors.length === 0;
  }

  /** Throws an {@link ErrorListError} when anything was collected. */
  throwIfAny(): void {
    if (!this.empty) throw new ErrorListError(this.errors);
  }
}

/** Thrown when a loading stage collected one or more errors. */
export class ErrorListError extends Error {
  constructor(readonly errors: PhoenixError[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.name = 'ErrorListError';
  }

  get exitCode(): number {
    return Math.max(...this.errors.map((e) => e.exitCode));
  }
}
