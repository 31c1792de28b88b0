import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Connection, PutOptions, RunOptions as CommandOptions } from '../connection/types.js';
import type { ModuleContext } from '../../modules/types.js';
import { evaluate, parseExpression, scopeFromObject } from '../expr/index.js';
import { renderTemplate } from '../vars/template.js';
import type { RunServices } from './options.js';
import type { PlannedState } from './planned-state.js';

/**
 * Adds become and the task's environment to every command of a connection, so modules need not know, and shows
 * each command at -vvv (`<host> EXEC ...`), as ansible-playbook does.
 */
export function connectionFor(conn: Connection, become: boolean, env: Record<string, string>, trace?: (command: string, via?: string) => void,
  signal?: AbortSignal): Connection {
  if (!become && Object.keys(env).length === 0 && !trace && !signal) return conn;
  return {
    host: conn.host,
    base: conn.base ?? conn,
    ...(become ? { become } : {}),
    run: (command: string, options: CommandOptions = {}) => {
      trace?.(command);
      return conn.run(command, { ...options, become: options.become ?? become, env: { ...env, ...options.env }, signal: options.signal ?? signal });
    },
    put: (content: string | Buffer, path: string, options?: PutOptions) => conn.put(content, path, options),
    get: (path: string) => conn.get(path),
    close: () => conn.close(),
    ...(conn.statPath ? {
      statPath: (path: string, options: { follow?: boolean; become?: boolean }) => {
        trace?.(`${options.follow ? 'stat' : 'lstat'} ${path}`, 'SFTP');
        return conn.statPath!(path, { ...options, become: options.become ?? become });
      },
    } : {}),
    ...(conn.idNames ? { idNames: () => conn.idNames!() } : {}),
    // The reboot module re-establishes the host's one connection through the wrapper.
    ...('reconnect' in conn ? { reconnect: (ms: number) => (conn as { reconnect(ms: number): Promise<void> }).reconnect(ms) } : {}),
  };
}

export interface ContextInput {
  host: string;
  conn: Connection | null;
  check: boolean;
  diff: boolean;
  scope: Record<string, unknown>;
  env: Record<string, string>;
  /** Directories searched for controller-side files: the task's own dir, then the playbook's. */
  searchDirs: string[];
  services: RunServices;
  /** The task is no_log: everything it writes is treated as secret. */
  noLog?: boolean;
  /** Check mode's memory of the run. */
  planned?: PlannedState;
  /** What the hosts of this task share (ModuleContext.oncePerTask). */
  taskShared?: Map<string, Promise<unknown>>;
}

/** The ModuleContext of one task on one host. */
export function moduleContext(input: ContextInput): ModuleContext {
  const { host, services, scope } = input;
  return {
    host,
    get conn(): Connection {
      if (!input.conn) throw new Error('this module runs on the controller and has no connection');
      return input.conn;
    },
    check: input.check,
    diff: input.diff,
    vars: scope,
    env: input.env,
    connect: (other) => services.connect(other),
    resolvePath: (path) => resolveControllerPath(path, input.searchDirs),
    renderTemplate: (text, source) => renderTemplate(text, scope, { what: `template ${source}` }),
    evaluate: (expression) => evaluate(parseExpression(expression), scopeFromObject(scope)),
    log: (message) => services.emit({ type: 'verbose', level: 2, host, message }),
    progress: (message, done, total) => services.emit({ type: 'progress', host, message, done, total }),
    planned: input.planned,
    ...(services.shared ? { oncePerRun: sharedAnswers(services.shared) } : {}),
    ...(input.taskShared ? { oncePerTask: sharedAnswers(input.taskShared) } : {}),
    ...(services.unchanged ? { whileUnchanged: untilChange(services.unchanged) } : {}),
    holdsSecret: (content) => {
      if (input.noLog) return true;
      const text = content.toString();
      return (services.secrets ?? []).some((secret) => text.includes(secret));
    },
  };
}

/**
 * ModuleContext.oncePerRun, oncePerTask and whileUnchanged over a table (the run's, the task's, the one until the
 * next change): a promise per key, dropped again when it fails.
 */
export function sharedAnswers(table: Map<string, Promise<unknown>>) {
  return <T>(key: string, compute: () => Promise<T>): Promise<T> => {
    let answer = table.get(key) as Promise<T> | undefined;
    if (!answer) {
      answer = compute();
      table.set(key, answer);
      answer.catch(() => table.get(key) === answer && table.delete(key));
    }
    return answer;
  };
}

/** ModuleContext.whileUnchanged over the run's table of the moment (noteApply replaces it). */
export function untilChange(holder: { answers: Map<string, Promise<unknown>> }) {
  return <T>(key: string, compute: () => Promise<T>): Promise<T> => sharedAnswers(holder.answers)(key, compute);
}

/** Ansible's lookup order for `src`: files/ and templates/ beside the task file, the task dir, then the playbook. */
export function resolveControllerPath(path: string, dirs: string[]): string {
  if (isAbsolute(path)) return path;
  for (const dir of dirs) {
    for (const candidate of [join(dir, 'files', path), join(dir, 'templates', path), join(dir, path)]) {
      if (existsSync(candidate)) return candidate;
    }
  }
  return join(dirs[dirs.length - 1] ?? '.', path);
}
