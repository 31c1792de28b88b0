import { emptyStats, type HostResult, type HostStats } from '../result.js';
import { buildScope } from '../vars/scope.js';
import type { BlockNode, IncludeNode, MetaNode, Node, Play, Playbook, TaskNode } from '../playbook/types.js';
import { conditionsHold, runTask, taskInfo, type TaskEnv } from './task-runner.js';
import { tagsSelected } from './tags.js';
import { mapLimit } from './map-limit.js';
import { renderString } from '../vars/template.js';
import type { RunOptions, RunServices } from './options.js';

/** Per-host state that lives for the whole playbook run. */
interface HostState {
  facts: Record<string, unknown>;
  /** Failed (or unreachable) hosts take no further part in this run, as in Ansible. */
  failed: boolean;
  unreachable: boolean;
  notified: Set<string>;
}

/** Flow inside a play: whether a failure can still be rescued by an enclosing block. */
interface Flow {
  rescuable: boolean;
  extraVars: Record<string, unknown>;
}

export interface PlaybookOutcome {
  stats: Record<string, HostStats>;
  /** Exit code by Ansible's rules: 4 unreachable wins over 2 failed. */
  exitCode: number;
}

/** Runs a loaded playbook: plays in order, tasks in lockstep across hosts (Ansible's linear strategy). */
export class PlaybookRunner {
  private readonly hosts = new Map<string, HostState>();
  private readonly stats: Record<string, HostStats> = {};
  private started: boolean;
  private play!: Play;
  private playHosts: string[] = [];
  private stopPlay = false;

  constructor(private readonly playbook: Playbook, private readonly options: RunOptions, private readonly services: RunServices) {
    this.started = !options.startAtTask;
  }

  async run(): Promise<PlaybookOutcome> {
    this.services.emit({ type: 'playbook_start', file: this.playbook.file, check: this.options.check, diff: this.options.diff });
    for (const play of this.playbook.plays) {
      if (this.services.signal?.aborted) break;
      await this.runPlay(play);
    }
    this.services.emit({ type: 'play_recap', stats: this.stats });
    return { stats: this.stats, exitCode: this.exitCode() };
  }

  private exitCode(): number {
    const all = Object.values(this.stats);
    if (all.some((s) => s.unreachable > 0)) return 4;
    if (all.some((s) => s.failed > 0)) return 2;
    return 0;
  }

  private async runPlay(play: Play): Promise<void> {
    this.play = play;
    this.stopPlay = false;
    const pattern = String(renderString(play.hosts, this.options.extraVars, { pos: play.hostsPos }));
    const selected = this.services.inventory.select(pattern).filter((h) => !this.options.limit || this.options.limit.has(h));
    const alive = selected.filter((h) => !this.state(h).failed);
    this.services.emit({ type: 'play_start', name: play.name, hosts: alive });
    if (alive.length === 0) {
      this.services.emit({ type: 'no_hosts', play: play.name });
      return;
    }
    for (const batch of batches(alive, play.serial)) {
      this.playHosts = batch;
      for (const h of batch) this.stats[h] ??= emptyStats();
      await this.runSection(play.preTasks, batch);
      await this.runSection(play.tasks, batch);
      await this.runSection(play.postTasks, batch);
      if (this.stopPlay) break;
    }
  }

  private async runSection(nodes: Node[], hosts: string[]): Promise<void> {
    if (this.stopPlay) return;
    await this.runNodes(nodes, this.active(hosts), { rescuable: false, extraVars: {} });
    await this.flushHandlers(hosts);
  }

  private active(hosts: string[]): string[] {
    return hosts.filter((h) => !this.state(h).failed);
  }

  /** Runs nodes in order for the hosts; returns the hosts that failed (and were not rescued) on the way. */
  private async runNodes(nodes: Node[], hosts: string[], flow: Flow): Promise<Set<string>> {
    const failed = new Set<string>();
    let active = hosts;
    for (const node of nodes) {
      if (active.length === 0 || this.stopPlay || this.services.signal?.aborted) break;
      const nodeFailed = await this.runNode(node, active, flow);
      nodeFailed.forEach((h) => failed.add(h));
      active = active.filter((h) => !nodeFailed.has(h));
    }
    return failed;
  }

  private runNode(node: Node, hosts: string[], flow: Flow): Promise<Set<string>> {
    switch (node.kind) {
      case 'block': return this.runBlock(node, hosts, flow);
      case 'include': return this.runInclude(node, hosts, flow);
      case 'meta': return this.runMeta(node, hosts);
      case 'task': return this.runTaskNode(node, hosts, flow);
    }
  }

  private async runBlock(block: BlockNode, hosts: string[], flow: Flow): Promise<Set<string>> {
    const inner = { ...flow, rescuable: flow.rescuable || block.rescue.length > 0 };
    const failedInBlock = await this.runNodes(block.block, hosts, inner);
    let failed = failedInBlock;
    if (failedInBlock.size > 0 && block.rescue.length > 0) {
      const rescuers = [...failedInBlock];
      rescuers.forEach((h) => { this.state(h).failed = false; this.stats[h].rescued++; });
      failed = await this.runNodes(block.rescue, rescuers, flow);
    }
    if (block.always.length > 0) {
      const entered = hosts.filter((h) => !this.state(h).unreachable);
      failed.forEach((h) => { this.state(h).failed = false; });
      const alwaysFailed = await this.runNodes(block.always, entered, flow);
      alwaysFailed.forEach((h) => failed.add(h));
    }
    failed.forEach((h) => { this.state(h).failed = true; });
    return failed;
  }

  private async runInclude(node: IncludeNode, hosts: string[], flow: Flow): Promise<Set<string>> {
    if (!this.selectedByTags(node.tags) || !this.started) return new Set();
    const failed = new Set<string>();
    const nodes = node.preloaded ?? [];
    for (const host of hosts) {
      const scope = this.scope(host, node.vars, flow.extraVars);
      if (!conditionsHold(node.when, scope)) continue;
      const items = node.loop === undefined ? [undefined] : (renderString(String(node.loop), scope) as unknown[]);
      for (const item of items) {
        const extra = item === undefined ? { ...flow.extraVars, ...node.vars } : { ...flow.extraVars, ...node.vars, [node.loopVar]: item };
        const result = await this.runNodes(nodes, [host], { ...flow, extraVars: extra });
        result.forEach((h) => failed.add(h));
        if (result.size > 0) break;
      }
    }
    return failed;
  }

  private async runMeta(node: MetaNode, hosts: string[]): Promise<Set<string>> {
    if (!this.selectedByTags(node.tags) && node.action !== 'flush_handlers') return new Set();
    if (node.action === 'flush_handlers') await this.flushHandlers(hosts);
    if (node.action === 'end_play') this.stopPlay = true;
    return new Set();
  }

  private selectedByTags(tags: string[]): boolean {
    return tagsSelected(tags, this.options.onlyTags, this.options.skipTags);
  }

  private async runTaskNode(task: TaskNode, hosts: string[], flow: Flow): Promise<Set<string>> {
    if (!this.started) {
      if (!matchesTaskName(task.name, this.options.startAtTask!)) return new Set();
      this.started = true;
    }
    if (!this.selectedByTags(task.tags)) return new Set();
    return this.runOnHosts(task, hosts, flow, 'task');
  }

  private async runOnHosts(task: TaskNode, hosts: string[], flow: Flow, kind: 'task' | 'handler'): Promise<Set<string>> {
    this.services.emit({ type: 'task_start', task: taskInfo(task, kind) });
    const targets = task.runOnce ? hosts.slice(0, 1) : hosts;
    const env = this.taskEnv(flow);
    const failed = new Set<string>();
    await mapLimit(targets, this.options.forks, async (host) => {
      const outcome = await runTask(task, host, env, flow.extraVars);
      const receivers = task.runOnce ? hosts : [host];
      for (const r of receivers) Object.assign(this.state(r).facts, outcome.facts);
      this.record(task, host, outcome.result, flow, failed, kind);
    });
    if (failed.size > 0 && (task.anyErrorsFatal || this.play.anyErrorsFatal)) this.stopPlay = true;
    this.checkMaxFail();
    return failed;
  }

  /** Counts a result in the recap (Ansible's rules), reports it, and queues notified handlers. */
  private record(task: TaskNode, host: string, result: HostResult, flow: Flow, failed: Set<string>, kind: 'task' | 'handler'): void {
    const stats = this.stats[host];
    const state = this.state(host);
    this.services.emit({ type: 'host_result', task: taskInfo(task, kind), host, result, delegatedTo: task.delegateTo });
    switch (result.status) {
      case 'ok': stats.ok++; break;
      case 'changed': stats.ok++; stats.changed++; break;
      case 'skipped': stats.skipped++; break;
      case 'unreachable': stats.unreachable++; state.unreachable = true; state.failed = true; failed.add(host); break;
      case 'failed':
        if (result.ignored) {
          stats.ok++;
          stats.ignored++;
          if (result.changed) stats.changed++;
          break;
        }
        if (!flow.rescuable) stats.failed++;
        state.failed = true;
        failed.add(host);
        break;
    }
    if (result.changed && result.status !== 'unreachable') task.notify.forEach((n) => state.notified.add(n));
  }

  private checkMaxFail(): void {
    const limit = this.play.maxFailPercentage;
    if (limit === undefined) return;
    const failed = this.playHosts.filter((h) => this.state(h).failed).length;
    if ((failed / this.playHosts.length) * 100 > limit) this.stopPlay = true;
  }

  /** Runs notified handlers in definition order, once per host; a handler may notify later ones. */
  private async flushHandlers(hosts: string[]): Promise<void> {
    for (const handler of this.play.handlers) {
      const targets = hosts.filter((h) => {
        const state = this.state(h);
        const wanted = state.notified.has(handler.name) || handler.listen.some((l) => state.notified.has(l));
        return wanted && (!state.failed || this.play.forceHandlers);
      });
      if (targets.length === 0) continue;
      for (const h of targets) {
        this.state(h).notified.delete(handler.name);
        handler.listen.forEach((l) => this.state(h).notified.delete(l));
      }
      await this.runOnHosts(handler, targets, { rescuable: false, extraVars: {} }, 'handler');
    }
    for (const h of hosts) this.state(h).notified.clear();
  }

  private taskEnv(flow: Flow): TaskEnv {
    return {
      options: this.options,
      services: this.services,
      playbookDir: this.playbook.dir,
      scope: (host, nodeVars, loop) => this.scope(host, nodeVars, flow.extraVars, loop),
      setFacts: (host, facts) => Object.assign(this.state(host).facts, facts),
    };
  }

  private scope(host: string, nodeVars: Record<string, unknown>, flowVars: Record<string, unknown>, loop?: Record<string, unknown>): Record<string, unknown> {
    return buildScope({
      inventory: this.services.inventory.vars(host),
      play: this.play.playVars,
      varsFiles: this.play.varsFromFiles,
      node: { ...flowVars, ...nodeVars },
      facts: this.state(host).facts,
      loop,
      extra: this.options.extraVars,
      magic: this.magic(host),
    });
  }

  private magic(host: string): Record<string, unknown> {
    const hostvars = new Proxy({}, {
      get: (_t, name) => (typeof name === 'string' ? { ...this.services.inventory.vars(name), ...this.hosts.get(name)?.facts } : undefined),
      has: (_t, name) => typeof name === 'string' && this.services.inventory.select(name).length > 0,
      getOwnPropertyDescriptor: (_t, name) => (typeof name === 'string' && this.services.inventory.select(name).length > 0
        ? { value: { ...this.services.inventory.vars(name), ...this.hosts.get(name)?.facts }, enumerable: true, configurable: true } : undefined),
    });
    return {
      ...this.services.inventory.magic(host),
      hostvars,
      playbook_dir: this.playbook.dir,
      ansible_check_mode: this.options.check,
      ansible_diff_mode: this.options.diff,
      ansible_play_hosts: this.active(this.playHosts),
      ansible_play_batch: this.playHosts,
      ansible_play_name: this.play.name,
      ansible_run_tags: this.options.onlyTags.length ? this.options.onlyTags : ['all'],
      ansible_skip_tags: this.options.skipTags,
      ansible_verbosity: this.options.verbosity,
    };
  }

  private state(host: string): HostState {
    let state = this.hosts.get(host);
    if (!state) {
      state = { facts: {}, failed: false, unreachable: false, notified: new Set() };
      this.hosts.set(host, state);
    }
    return state;
  }
}

/** Splits hosts into serial batches (numbers or percentages; the last size repeats). */
export function batches(hosts: string[], serial?: Array<number | string>): string[][] {
  if (!serial || serial.length === 0) return [hosts];
  const out: string[][] = [];
  let index = 0;
  let step = 0;
  while (index < hosts.length) {
    const spec = serial[Math.min(step, serial.length - 1)];
    const size = typeof spec === 'string' && spec.endsWith('%')
      ? Math.max(1, Math.floor((hosts.length * parseFloat(spec)) / 100))
      : Math.max(1, Number(spec));
    out.push(hosts.slice(index, index + size));
    index += size;
    step++;
  }
  return out;
}

function matchesTaskName(name: string, wanted: string): boolean {
  if (name === wanted) return true;
  const pattern = new RegExp(`^${wanted.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return pattern.test(name);
}
