/**
 * The playbook runner: plays in order, their serial batches, blocks and includes, tasks in lockstep across hosts,
 * the recap's counts. Check mode's container bookkeeping is in check-mode-pending.ts, handler flushes in
 * handlers.ts, magic variables in magic-vars.ts, batches and --start-at-task in batches.ts.
 */
import { isAbsolute, resolve } from 'node:path';
import { emptyStats, failedResult, okResult, registeredValue, skippedResult, type HostResult, type HostStats } from '../result.js';
import { PhoenixError } from '../errors.js';
import { materialize } from '../vars/scope.js';
import { buildScope } from '../vars/scope.js';
import type { BlockNode, IncludeNode, MetaNode, Node, Play, Playbook, TaskNode } from '../playbook/types.js';
import { conditionsHold, runTask, taskInfo, type PendingContainer, type TaskEnv } from './task-runner.js';
import { PlannedState } from './planned-state.js';
import { loadTasksAtRuntime } from '../playbook/load.js';
import { tagsSelected } from './tags.js';
import { mapLimit } from './map-limit.js';
import { renderString, renderValue } from '../vars/template.js';
import type { RunOptions, RunServices } from './options.js';
import { batches, matchesTaskName } from './batches.js';
import { notePending } from './check-mode-pending.js';
import { flushHandlers } from './handlers.js';
import { magicVars } from './magic-vars.js';

/** Per-host state that lives for the whole playbook run. */
interface HostState {
  facts: Record<string, unknown>;
  /** Check mode: why tasks inside this container cannot be planned (a task predicted creating or starting it). */
  pending?: PendingContainer;
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
  /** Set when every host of a batch failed: ansible-playbook then ends the whole run ("NO MORE HOSTS LEFT"). */
  private stopRun = false;
  /** Tasks files of templated include_tasks names, parsed once per run. */
  private readonly runtimeIncludes = new Map<string, Node[]>();

  /** Check mode's memory of what earlier tasks planned (see planned-state.ts). */
  private readonly planned?: PlannedState;

  constructor(private readonly playbook: Playbook, private readonly options: RunOptions, private readonly services: RunServices) {
    this.started = !options.startAtTask;
    if (options.check) this.planned = new PlannedState();
  }

  async run(): Promise<PlaybookOutcome> {
    this.services.emit({ type: 'playbook_start', file: this.playbook.file, check: this.options.check, diff: this.options.diff });
    for (const play of this.playbook.plays) {
      if (this.services.signal?.aborted || this.stopRun) break;
      await this.runPlay(play);
    }
    if (!this.started) {
      this.services.emit({ type: 'warning', message: `No matching task "${this.options.startAtTask}" found. Note: --start-at-task can only follow static includes.` });
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
    const all = batches(alive, this.serialOf(play, alive[0]));
    for (const [index, batch] of all.entries()) {
      this.playHosts = batch;
      await this.runSection(play.preTasks, batch);
      await this.runSection(play.tasks, batch);
      await this.runSection(play.postTasks, batch);
      if (batch.every((h) => this.state(h).failed)) {
        this.stopRun = true;
        this.warnStopped(play, batch, all.slice(index + 1).flat());
      }
      if (this.stopPlay || this.stopRun) break;
    }
  }

  /** Where a serial run stopped (ansible-playbook's "NO MORE HOSTS LEFT"), and what it left untouched. */
  private warnStopped(play: Play, batch: string[], untouched: string[]): void {
    const later = this.playbook.plays.slice(this.playbook.plays.indexOf(play) + 1).map((p) => p.name);
    const left = [
      untouched.length ? `not run on ${untouched.join(', ')}` : '',
      later.length ? `plays not run: ${later.join(', ')}` : '',
    ].filter(Boolean).join('; ');
    this.services.emit({
      type: 'warning',
      message: `NO MORE HOSTS LEFT: every host of the batch [${batch.join(', ')}] of play '${play.name}' failed, so the run stops here`
        + `${left ? ` (${left})` : ''}. Fix the cause and run again: what is done reports ok, the rest continues.`,
    });
  }

  /** `serial` may be templated (e.g. batch sizes per clone level from the JSON config), as in Ansible. */
  private serialOf(play: Play, firstHost: string): Array<number | string> | undefined {
    if (!play.serial) return undefined;
    const vars = { ...this.services.inventory.vars(firstHost), ...play.playVars, ...this.options.extraVars };
    return play.serial.flatMap((spec) => {
      const value = typeof spec === 'string' ? renderString(spec, vars, { pos: play.pos, what: 'serial' }) : spec;
      return (Array.isArray(value) ? value : [value]) as Array<number | string>;
    });
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

  /**
   * include_tasks: the include itself is a task (ok, or skipped by its `when`), then the included tasks run in
   * lockstep for the hosts that included them; with a loop, once per item (hosts grouped by equal items).
   */
  private async runInclude(node: IncludeNode, hosts: string[], flow: Flow): Promise<Set<string>> {
    if (!this.started || !this.selectedByTags(node.tags)) return new Set();
    const info = { name: node.name, module: 'include_tasks', kind: 'task' as const, file: node.pos.file, line: node.pos.line };
    this.services.emit({ type: 'task_start', task: info });
    const itemsByHost = new Map<string, unknown[]>();
    for (const host of hosts) {
      const scope = this.scope(host, node.vars, flow.extraVars);
      let result: HostResult;
      if (!conditionsHold(node.when, scope)) {
        result = skippedResult('Conditional result was False');
      } else {
        const items = node.loop === undefined ? [undefined] : materialize(renderValue(node.loop, scope, { pos: node.pos }));
        if (!Array.isArray(items)) throw new PhoenixError('E_LOOP_TYPE', `include_tasks loop needs a list`, { pos: node.pos, host });
        itemsByHost.set(host, items);
        result = okResult(`included ${node.file}`, {});
        if (node.loop !== undefined) result.items = items.map((item) => ({ ...okResult(), item, label: String(item) }));
      }
      this.record(node as unknown as TaskNode, host, result, flow, new Set(), 'task', info);
      // Ansible counts one include per loop item.
      if (result.items && result.items.length > 1) this.stats[host].ok += result.items.length - 1;
    }
    return this.runIncluded(node, itemsByHost, flow);
  }

  private async runIncluded(node: IncludeNode, itemsByHost: Map<string, unknown[]>, flow: Flow): Promise<Set<string>> {
    const failed = new Set<string>();
    const count = Math.max(0, ...[...itemsByHost.values()].map((i) => i.length));
    for (let index = 0; index < count; index++) {
      const groups = new Map<string, { item: unknown; file: string; hosts: string[] }>();
      for (const [host, items] of itemsByHost) {
        if (index >= items.length || failed.has(host)) continue;
        const item = items[index];
        const file = node.preloaded ? node.file : this.includeFile(node, host, flow, item);
        const key = `${file}\0${JSON.stringify(item) ?? 'undefined'}`;
        const group = groups.get(key) ?? { item, file, hosts: [] };
        group.hosts.push(host);
        groups.set(key, group);
      }
      for (const { item, file, hosts } of groups.values()) {
        const extra = { ...flow.extraVars, ...node.vars, ...(node.loop === undefined ? {} : { [node.loopVar]: item }) };
        const nodes = this.includedNodes(node, file, hosts, flow);
        if (!nodes) {
          hosts.forEach((h) => failed.add(h));
          continue;
        }
        (await this.runNodes(nodes, hosts, { ...flow, extraVars: extra })).forEach((h) => failed.add(h));
      }
    }
    return failed;
  }

  private includeFile(node: IncludeNode, host: string, flow: Flow, item: unknown): string {
    const loop = node.loop === undefined ? undefined : { [node.loopVar]: item };
    return String(renderString(node.file, this.scope(host, node.vars, flow.extraVars, loop), { pos: node.pos, what: 'include_tasks file' }));
  }

  /** The tasks of an include: parsed at load time, or (templated name) now; a broken file fails its hosts. */
  private includedNodes(node: IncludeNode, file: string, hosts: string[], flow: Flow): Node[] | undefined {
    if (node.preloaded) return node.preloaded;
    const candidate = node.candidates && [...node.candidates].find(([path]) => (isAbsolute(file) ? path === resolve(file) : path.endsWith(`/${file.replace(/^\.\//, '')}`)));
    if (candidate) return candidate[1];
    try {
      let nodes = this.runtimeIncludes.get(file);
      if (!nodes) {
        nodes = loadTasksAtRuntime(file, node, this.playbook.dir, { when: [], tags: [], vars: {} });
        this.runtimeIncludes.set(file, nodes);
      }
      return nodes;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const info = { name: node.name, module: 'include_tasks', kind: 'task' as const, file: node.pos.file, line: node.pos.line };
      for (const h of hosts) this.record(node as unknown as TaskNode, h, failedResult(`include_tasks ${file}: ${message}`), flow, new Set(), 'task', info);
      return undefined;
    }
  }

  private async runMeta(node: MetaNode, hosts: string[]): Promise<Set<string>> {
    if (!this.selectedByTags(node.tags) && node.action !== 'flush_handlers') return new Set();
    this.services.emit({ type: 'task_start', task: { name: node.name, module: 'meta', kind: 'task', file: node.pos.file, line: node.pos.line } });
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
    // A failure that a rescue will handle does not end the play, even with any_errors_fatal.
    if (failed.size > 0 && !flow.rescuable && (task.anyErrorsFatal || this.play.anyErrorsFatal)) this.stopPlay = true;
    this.checkMaxFail();
    return failed;
  }

  /** Counts a result in the recap (Ansible's rules), reports it, and queues notified handlers. */
  private record(task: TaskNode, host: string, result: HostResult, flow: Flow, failed: Set<string>, kind: 'task' | 'handler', info = taskInfo(task, kind)): void {
    const stats = (this.stats[host] ??= emptyStats());
    const state = this.state(host);
    this.services.emit({ type: 'host_result', task: info, host, result, delegatedTo: result.delegatedTo });
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
        else {
          // What rescue tasks inspect, as in Ansible.
          state.facts.ansible_failed_task = { name: task.name, action: task.module };
          state.facts.ansible_failed_result = registeredValue(result);
        }
        state.failed = true;
        failed.add(host);
        break;
    }
    if (result.changed && result.status !== 'unreachable') task.notify?.forEach((n) => state.notified.add(n));
    if (this.options.check) notePending(task, host, result, this.services.inventory, this.planned, state);
  }

  private checkMaxFail(): void {
    const limit = this.play.maxFailPercentage;
    if (limit === undefined) return;
    const failed = this.playHosts.filter((h) => this.state(h).failed).length;
    if ((failed / this.playHosts.length) * 100 > limit) this.stopPlay = true;
  }

  /** Runs the notified handlers of the hosts (handlers.ts). */
  private flushHandlers(hosts: string[]): Promise<void> {
    return flushHandlers(this.play, hosts, (h) => this.state(h),
      (handler, targets) => this.runOnHosts(handler, targets, { rescuable: false, extraVars: {} }, 'handler'));
  }

  private taskEnv(flow: Flow): TaskEnv {
    return {
      options: this.options,
      services: this.services,
      playbookDir: this.playbook.dir,
      scope: (host, nodeVars, loop) => this.scope(host, nodeVars, flow.extraVars, loop),
      setFacts: (host, facts) => Object.assign(this.state(host).facts, facts),
      pendingContainer: (host) => this.state(host).pending,
      planned: this.planned,
      // A fresh table each time a task starts on its hosts: what they share lasts as long as the task.
      shared: new Map(),
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

  /** Magic variables of a host, kept while the play, its batch and its failed hosts stay the same. */
  private readonly magicCache = new Map<string, { play: Play; batch: string[]; key: string; value: Record<string, unknown> }>();

  private magic(host: string): Record<string, unknown> {
    const playHosts = this.active(this.playHosts);
    const key = playHosts.join('\0');
    const cached = this.magicCache.get(host);
    if (cached?.play === this.play && cached.batch === this.playHosts && cached.key === key) return cached.value;
    const value = magicVars(host, playHosts, {
      inventory: this.services.inventory, facts: (name) => this.hosts.get(name)?.facts, playbookDir: this.playbook.dir,
      options: this.options, play: this.play, batch: this.playHosts,
    });
    this.magicCache.set(host, { play: this.play, batch: this.playHosts, key, value });
    return value;
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
