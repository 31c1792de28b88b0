import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { median, ms, parseRecap, timed, type Timed } from './measure.js';
import type { Row } from './table.js';
import { PHOENIX, REPO_ROOT } from './paths.js';
import { LAB_DIR } from '../lab/paths.js';

export const LAB_INVENTORY = join(LAB_DIR, 'inventory.yml');
export const SITE = join(REPO_ROOT, 'playbooks', 'site.yml');

export interface SiteOptions {
  runs: number;
  log: (line: string) => void;
}

function siteRun(extra: string[]): Promise<Timed> {
  return timed(process.execPath, [PHOENIX, 'run', SITE, '-i', LAB_INVENTORY, ...extra], {
    cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: '1' },
  });
}

function describe(run: Timed): string {
  const recap = parseRecap(run.stdout);
  const cpu = run.cpuS + run.keeperCpuS;
  const share = cpu * 1000 / run.wallMs;
  return `exit ${run.code}; ${recap.hosts} hosts, changed=${recap.changed} failed=${recap.failed} ` +
    `unreachable=${recap.unreachable}; phoenix CPU ${ms(cpu * 1000)} (run ${ms(run.cpuS * 1000)} + SSH keeper ` +
    `${ms(run.keeperCpuS * 1000)}) = ${(share * 100).toFixed(0)}% of wall (rest: waiting on remote commands); ` +
    `peak RSS ${Math.round(run.maxRssKb / 1024)} MB`;
}

/**
 * playbooks/site.yml against the lab (`npm run lab:up` writes .lab/inventory.yml): the first run on the lab as found,
 * then re-runs and --check runs. CPU time of the phoenix process over wall time is the share spent in phoenix itself.
 */
export async function site(options: SiteOptions): Promise<Row[]> {
  if (!existsSync(LAB_INVENTORY) || !existsSync(SITE)) {
    const why = `not measured: ${existsSync(SITE) ? '' : 'playbooks/site.yml missing; '}` +
      `${existsSync(LAB_INVENTORY) ? '' : '.lab/inventory.yml missing (run `npm run lab:up`)'}`;
    options.log(`site: ${why}`);
    return [{ part: 'site', case: 'site.yml on the lab', phoenix: '-', detail: why, goal: 're-run < 3 s' }];
  }
  const first = await siteRun([]);
  options.log(`site first run: ${ms(first.wallMs)}; ${describe(first)}`);
  const rows: Row[] = [{ part: 'site', case: 'first run (lab as found)', phoenix: ms(first.wallMs), detail: describe(first) }];
  if (first.code !== 0) {
    const failed = failures(first);
    options.log(`site.yml failed on the lab, not measured further:\n${failed}`);
    rows.push({ part: 'site', case: 'no-op re-run', phoenix: '-', goal: 're-run < 3 s, changed=0',
      detail: `not measurable: the first run failed (${failed.split('\n').join('; ')})` });
    return rows;
  }
  for (const [name, extra] of [['no-op re-run', []], ['--check', ['--check']]] as Array<[string, string[]]>) {
    const runs: Timed[] = [];
    for (let i = 0; i < options.runs; i++) runs.push(await siteRun(extra));
    const wall = median(runs.map((r) => r.wallMs));
    const last = runs[runs.length - 1];
    options.log(`site ${name}: ${runs.map((r) => ms(r.wallMs)).join(', ')}; ${describe(last)}`);
    const okRun = runs.every((r) => r.code === 0) && (name !== 'no-op re-run' || parseRecap(last.stdout).changed === 0);
    rows.push({
      part: 'site', case: name, phoenix: ms(wall),
      goal: name === 'no-op re-run' ? 're-run < 3 s, changed=0' : undefined,
      met: name === 'no-op re-run' ? okRun && wall < 3000 : undefined,
      detail: `median of ${runs.length}; ${describe(last)}`,
    });
  }
  return rows;
}

/** The failed tasks of a run (`TASK [name]` followed by `fatal:`/`failed:`), or the output's tail. */
function failures(run: Timed): string {
  const lines = run.stdout.split('\n');
  const found: string[] = [];
  let task = '';
  for (const line of lines) {
    if (line.startsWith('TASK [')) task = line.replace(/\s*\*+$/, '');
    else if (/^(fatal|failed):/.test(line)) found.push(`${task} ${line.slice(0, 160)}`);
  }
  return (found.length ? found : (run.stdout + run.stderr).trim().split('\n').slice(-5)).slice(0, 6).join('\n');
}
