import type { ModuleContext } from '../types.js';

/**
 * What a node tells every container task of one task at once (its /proc/devices, its device nodes' modes, its
 * kernel module): asked once per task and node, not once per container. `key` names the question; the node's
 * name is added. Where the executor shares nothing (a module called on its own), it is simply asked.
 */
export function askNodeOncePerTask<T>(ctx: ModuleContext, node: string, key: string, ask: () => Promise<T>): Promise<T> {
  return ctx.oncePerTask ? ctx.oncePerTask(`${node}\0${key}`, ask) : ask();
}
