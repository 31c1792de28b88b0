import { readerKey } from '../../interpreter/connection/types.js';
import type { ModuleContext } from '../types.js';

/**
 * What a node tells every container task of one task at once (its /proc/devices, its device nodes' modes, its
 * kernel module): asked once per task and node, not once per container. `key` names the question; the node's
 * name is added. Where the executor shares nothing (a module called on its own), it is simply asked.
 */
export function askNodeOncePerTask<T>(ctx: ModuleContext, node: string, key: string, ask: () => Promise<T>): Promise<T> {
  return ctx.oncePerTask ? ctx.oncePerTask(`${node}\0${key}`, ask) : ask();
}

/**
 * What the tasks of a run read again and again from the task's target, read once until some task applies something
 * (ModuleContext.whileUnchanged), keyed by the target and its become ({@link readerKey}) and `what`. Where the
 * executor shares nothing, it is simply read.
 */
export function readWhileUnchanged<T>(ctx: ModuleContext, what: string, read: () => Promise<T>): Promise<T> {
  return ctx.whileUnchanged ? ctx.whileUnchanged(`${readerKey(ctx.conn)}\0${what}`, read) : read();
}
