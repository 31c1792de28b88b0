/**
 * Handlers: at a flush, the notified handlers run in definition order, once per notification, until none is pending.
 */
import type { Play, TaskNode } from '../playbook/types.js';

/** What a flush needs of a host's state in the run. */
export interface NotifiedState {
  notified: Set<string>;
  failed: boolean;
}

/**
 * Runs notified handlers in definition order, once per notification. A handler may notify another, even one
 * defined before it: passes repeat until nothing is pending, as ansible-core does.
 */
export async function flushHandlers(play: Play, hosts: string[], stateOf: (host: string) => NotifiedState,
  run: (handler: TaskNode, targets: string[]) => Promise<unknown>): Promise<void> {
  for (let pass = 0; pass <= play.handlers.length; pass++) {
    let ran = false;
    for (const handler of play.handlers) {
      const targets = hosts.filter((h) => {
        const state = stateOf(h);
        const wanted = state.notified.has(handler.name) || handler.listen.some((l) => state.notified.has(l));
        return wanted && (!state.failed || play.forceHandlers);
      });
      if (targets.length === 0) continue;
      // Only the handler's own name is consumed here: other handlers listening to the same topic still run.
      for (const h of targets) stateOf(h).notified.delete(handler.name);
      await run(handler, targets);
      ran = true;
    }
    const topics = new Set(play.handlers.flatMap((h) => h.listen));
    for (const h of hosts) for (const topic of topics) stateOf(h).notified.delete(topic);
    if (!ran) break;
  }
  for (const h of hosts) stateOf(h).notified.clear();
}
