import type { Connection } from '../interpreter/connection/types.js';
import type { FileDiff } from '../interpreter/result.js';
import type { PlannedState } from '../interpreter/executor/planned-state.js';

/** What a module may use while planning or applying on one host. */
export interface ModuleContext {
  /** Inventory name of the target host. */
  readonly host: string;
  readonly conn: Connection;
  readonly check: boolean;
  readonly diff: boolean;
  /** The host's variables as this task sees them (read-only). */
  readonly vars: Readonly<Record<string, unknown>>;
  /** Play/task `environment`, passed to every command. */
  readonly env: Record<string, string>;
  /** Connection to another inventory host, e.g. a container's Proxmox node (`proxmox_node`). */
  connect(host: string): Promise<Connection>;
  /** Resolves a controller-side path (copy/template `src`) against the playbook's directory. */
  resolvePath(path: string): string;
  /** Renders a Handlebars template with the task's variables; `source` names it in errors. */
  renderTemplate(text: string, source: string): string;
  /** Evaluates a condition expression with the task's variables (assert's `that`). */
  evaluate(expression: string): unknown;
  /** A line for `-v` output. */
  log(message: string): void;
  /** Progress of a long step (downloads, installers); shown on a TTY. */
  progress(message: string, done?: number, total?: number): void;
  /**
   * True when `content` holds a secret (a value of a secrets file or a password variable) or the task is no_log:
   * a file written with it and no mode asked for is created 0600 instead of 0644. Absent: never.
   */
  holdsSecret?(content: string | Buffer): boolean;
  /**
   * Check mode only: what earlier tasks of this run planned and did not do (a container created, a config edited,
   * a driver installed), so a module predicts what the real run finds instead of reading the unchanged host.
   */
  readonly planned?: PlannedState;
  /**
   * The answer of `compute` for `key`, worked out once per run by the first host that asks; the others wait for it
   * (a key downloaded once, not once per container). A failure is not kept: the next host asks again. Absent:
   * nothing is shared, call `compute` yourself.
   */
  oncePerRun?<T>(key: string, compute: () => Promise<T>): Promise<T>;
  /**
   * As {@link oncePerRun}, for the hosts of this one task: what a node tells all its containers' tasks at once (its
   * /proc/devices, its device nodes' modes, its kernel module), which no container task changes.
   */
  oncePerTask?<T>(key: string, compute: () => Promise<T>): Promise<T>;
  /**
   * As {@link oncePerRun}, until any task of the run (on any host) applies something: what the tasks of one host
   * read again and again and only a change can alter (its installed packages, its apt sources). Put readerKey(conn)
   * (the target and its become) in the key. Absent: nothing is kept.
   */
  whileUnchanged?<T>(key: string, compute: () => Promise<T>): Promise<T>;
}

/** Check mode: a container this run creates from an OS template, whose files can be read from the template. */
export interface OsTemplateView {
  /** The container's node. */
  readonly node: Connection;
  /** The ostemplate argument of the create (`local:vztmpl/...` or a path). */
  readonly ostemplate: string;
  /** A file of the template's root filesystem, or null when the template has none (or cannot be read). */
  read(path: string): Promise<Buffer | null>;
}

/** One thing a module would change. */
export interface Change {
  /** Short human description: "create /etc/foo", "install cuda-toolkit-12-8". */
  summary: string;
  diff?: FileDiff;
}

/** The outcome of planning: the changes needed, or why none are. Planning never changes the host. */
export interface Plan<State = unknown> {
  changes: Change[];
  /** Why nothing needs to change; every ok result shows it. */
  reason?: string;
  /** Module-private state computed while planning, handed to apply. */
  state?: State;
  /** Values registered in every mode (stat results, detected versions). */
  data?: Record<string, unknown>;
  /** Facts to set on the host (set_fact, verify). */
  facts?: Record<string, unknown>;
  /**
   * The module cannot know without doing (command without creates/removes): in check mode the task is reported
   * skipped with this message, as Ansible does.
   */
  skipInCheck?: string;
  /** Fail the task at planning time with this message (assert, fail, verify). */
  fail?: string;
  /**
   * Nothing can be decided now: the task is reported skipped with this message (check mode, a verify whose host
   * this run changes first).
   */
  skip?: string;
}

export interface ApplyResult {
  data?: Record<string, unknown>;
  facts?: Record<string, unknown>;
  /** Set when applying failed in a way that is a task failure, not a transport failure. */
  failed?: string;
  /** Overrides "changed = plan was not empty" for modules that learn only by doing (command's rc). */
  changed?: boolean;
}

/**
 * A module: validated arguments in, a plan out, then apply. `changed` is "the plan was not empty",
 * never set by hand (except through ApplyResult.changed for modules that cannot plan).
 */
export interface Module<Args = any, State = any> {
  readonly name: string;
  /** JSON schema (ajv) of the arguments, after templating. */
  readonly schema: Record<string, unknown>;
  /** Argument names the executor passes untemplated (expressions such as assert's `that`). */
  readonly rawArgs?: readonly string[];
  /** Name of the argument a free-form string fills (`command: ls -l` fills `cmd`). */
  readonly freeForm?: string;
  /** Runs on the controller only (debug, set_fact, assert, fail): no connection is opened. */
  readonly controllerOnly?: boolean;
  /** Ansible's `always_run`-like behaviour: the module runs normally in check mode (stat, set_fact). */
  plan(ctx: ModuleContext, args: Args): Promise<Plan<State>>;
  /**
   * Check mode, in a container this run creates from an OS template (nothing to read inside it yet): plans
   * against the template's files instead; undefined when the template cannot tell. Modules without it are
   * predicted to change (a stock template has none of what phoenix configures).
   */
  planFromTemplate?(ctx: ModuleContext, args: Args, template: OsTemplateView): Promise<Plan<State> | undefined>;
  apply(ctx: ModuleContext, args: Args, plan: Plan<State>): Promise<ApplyResult>;
}

/** Thrown by a module for a task failure with a message for the user. */
export class ModuleFailure extends Error {
  constructor(message: string, readonly data: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ModuleFailure';
  }
}
