import type { SourcePosition } from '../errors.js';

/** Keywords shared by tasks, blocks and plays that are inherited downwards. */
export interface Inherited {
  /** `when` conditions of this node and its parents (all must hold). */
  when: Condition[];
  tags: string[];
  vars: Record<string, unknown>;
  /** Keywords that children inherit unless they set their own. */
  become?: boolean;
  checkMode?: boolean;
  diff?: boolean;
  noLog?: boolean | string;
  ignoreErrors?: boolean;
  environment?: Record<string, unknown>;
  delegateTo?: string;
  runOnce?: boolean;
  anyErrorsFatal?: boolean;
}

export interface Condition {
  text: string | boolean;
  pos?: SourcePosition;
}

export interface TaskNode extends Inherited {
  kind: 'task';
  name: string;
  /** Module name as written (`copy`, `ansible.builtin.copy`). */
  module: string;
  args: Record<string, unknown>;
  pos: SourcePosition;
  register?: string;
  loop?: unknown;
  loopVar: string;
  loopLabel?: string;
  changedWhen?: Condition[];
  failedWhen?: Condition[];
  until?: Condition[];
  retries: number;
  delay: number;
  notify: string[];
  /** Handler-only: `listen` topics. */
  listen: string[];
  /** The tasks file this task came from (for include_tasks relative paths). */
  dir: string;
}

export interface BlockNode extends Inherited {
  kind: 'block';
  name?: string;
  block: Node[];
  rescue: Node[];
  always: Node[];
  pos: SourcePosition;
}

/** `include_tasks` (dynamic, loaded when reached) or a meta action. */
export interface IncludeNode extends Inherited {
  kind: 'include';
  name: string;
  file: string;
  pos: SourcePosition;
  dir: string;
  loop?: unknown;
  loopVar: string;
  /** Pre-loaded and validated when the file name has no template, so errors surface before the run. */
  preloaded?: Node[];
  /** For a templated name: every file its static parts can match, by absolute path, validated at load. */
  candidates?: Map<string, Node[]>;
}

export interface MetaNode extends Inherited {
  kind: 'meta';
  name: string;
  action: 'flush_handlers' | 'noop' | 'end_play' | 'end_host' | 'clear_host_errors' | 'refresh_inventory';
  pos: SourcePosition;
}

export type Node = TaskNode | BlockNode | IncludeNode | MetaNode;

export interface Play extends Inherited {
  name: string;
  hosts: string;
  hostsPos?: SourcePosition;
  pos: SourcePosition;
  gatherFacts: boolean;
  varsFiles: string[];
  preTasks: Node[];
  tasks: Node[];
  postTasks: Node[];
  handlers: TaskNode[];
  serial?: Array<number | string>;
  maxFailPercentage?: number;
  forceHandlers: boolean;
  /** The play's own `vars` (ranked below vars_files; block and task vars are in each node's `vars`). */
  playVars: Record<string, unknown>;
  /** Variables loaded from vars_files (resolved at load time when the names are literal). */
  varsFromFiles: Record<string, unknown>;
}

export interface Playbook {
  file: string;
  dir: string;
  plays: Play[];
  /**
   * Includes whose file name uses `phoenix_features_dir` (site.yml's `{{ phoenix_features_dir }}/{{ feature }}.yml`):
   * when there is one, the configuration's feature files are checked before connecting.
   */
  featureIncludes?: SourcePosition[];
}
