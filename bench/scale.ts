import { keeperProcesses, median, ms } from './measure.js';
import { firstAndRerun, perTask, WORKLOAD_TASKS, type Measured } from './peer.js';
import type { Row } from './table.js';
import type { Targets } from './targets.js';

export interface ScaleOptions {
  hostCounts: number[];
  runs: number;
  log: (line: string) => void;
}

/** phoenix alone on 10/50/100 aliases, forks = hosts: time, connections, commands per task, peak RSS. */
export async function scale(targets: Targets, options: ScaleOptions): Promise<Row[]> {
  const rows: Row[] = [];
  for (const hosts of options.hostCounts) {
    const pairs: Array<{ first: Measured; rerun: Measured }> = [];
    for (let r = 0; r < options.runs; r++) {
      const pair = await firstAndRerun('phoenix', targets, hosts, hosts);
      pairs.push(pair);
      options.log(`scale ${hosts} hosts: first ${ms(pair.first.run.wallMs)}, re-run ${ms(pair.rerun.run.wallMs)}, ` +
        `RSS ${Math.round(pair.first.run.maxRssKb / 1024)}/${Math.round(pair.rerun.run.maxRssKb / 1024)} MB`);
    }
    for (const phase of ['first', 'rerun'] as const) {
      const wall = median(pairs.map((p) => p[phase].run.wallMs));
      const cpu = median(pairs.map((p) => p[phase].run.cpuS * 1000));
      const keeperCpu = median(pairs.map((p) => p[phase].run.keeperCpuS * 1000));
      const rss = Math.max(...pairs.map((p) => p[phase].run.maxRssKb)) / 1024;
      const traffic = pairs[pairs.length - 1][phase].traffic;
      const noop = phase === 'rerun';
      const fast = !noop || hosts !== 100 || wall < 10_000;
      const lean = rss < 200;
      // The keeper keeps connections between runs: a run logs in once per host at most (0 once they are kept).
      const oneConn = traffic.connections <= hosts;
      const oneCmd = !noop || traffic.commands <= hosts * WORKLOAD_TASKS;
      const missed = [
        fast ? '' : 'time >= 10 s', lean ? '' : 'RSS >= 200 MB', oneConn ? '' : `${traffic.connections} connections`,
        oneCmd ? '' : 'more than 1 remote command per no-op task-host',
      ].filter(Boolean);
      rows.push({
        part: 'scale', case: `${noop ? 'no-op re-run' : 'first run'}, ${hosts} hosts, forks ${hosts}`,
        phoenix: ms(wall),
        goal: noop ? `${hosts === 100 ? '< 10 s, ' : ''}<= 1 cmd/task-host, 1 conn/host, RSS < 200 MB`
          : '1 conn/host, RSS < 200 MB',
        met: fast && lean && oneConn && oneCmd,
        detail: `median of ${pairs.length}; ${ms(wall / WORKLOAD_TASKS)} per task (all hosts); phoenix CPU ` +
          `${ms(cpu)} + SSH keeper ${ms(keeperCpu)}; peak RSS ${Math.round(rss)} MB (SSH keeper ${keeperRssMb()} MB); ${perTask(traffic, hosts)}` +
          (missed.length ? `; missed: ${missed.join(', ')}` : ''),
      });
    }
  }
  return rows;
}

/** Resident memory of the SSH keeper processes (they hold the connections between runs), in MB. */
function keeperRssMb(): string {
  return String(Math.round(keeperProcesses().reduce((sum, k) => sum + k.rssKb, 0) / 1024));
}
