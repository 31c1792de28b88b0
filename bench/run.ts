import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { load } from './measure.js';
import { peer, WORKLOAD_ROOT } from './peer.js';
import { scale } from './scale.js';
import { site } from './site.js';
import { startup } from './startup.js';
import { renderTable, type Row } from './table.js';
import { startTargets } from './targets.js';

const PARTS = ['startup', 'peer', 'scale', 'site'] as const;
type Part = (typeof PARTS)[number];

const HELP = `usage: npm run bench -- [options]      (or: node dist/bench/run.js [options])

  --only LIST           parts to run, comma-separated: ${PARTS.join(',')} (default: all)
  --startup-runs N      timed runs per startup case (default 11, after one warm-up run)
  --runs N              phoenix runs per peer case (default 5)
  --ansible-runs N      ansible-playbook runs per peer case (default 3)
  --peer-hosts LIST     host counts of the peer comparison (default 1,4)
  --scale-hosts LIST    host counts of the scale part (default 10,50,100)
  --scale-runs N        runs per scale case (default 3)
  --site-runs N         re-runs and --check runs of site.yml (default 3)
  --sshd N              sshd servers the host aliases are spread over (default 1)
  --profile             also profile the startup cases (node --cpu-prof) and print what costs what
  --out FILE            also write the header and table (Markdown) to FILE
`;

function list(value: string | undefined, fallback: number[]): number[] {
  return value ? value.split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0) : fallback;
}

function version(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return `${result.stdout ?? ''}${result.stderr ?? ''}`.split('\n')[0].trim() || 'unknown';
}

function machine(): string[] {
  const commit = version('git', ['rev-parse', '--short', 'HEAD']);
  return [
    `date: ${new Date().toISOString()}`,
    `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, ` +
      `${version('uname', ['-sr'])}`,
    `node ${process.version}; ${version('ansible-playbook', ['--version'])}; ${version('ssh', ['-V'])}; git ${commit}`,
  ];
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' }, 'startup-runs': { type: 'string' }, runs: { type: 'string' },
      'ansible-runs': { type: 'string' }, 'peer-hosts': { type: 'string' }, 'scale-hosts': { type: 'string' },
      'scale-runs': { type: 'string' }, 'site-runs': { type: 'string' }, sshd: { type: 'string' },
      profile: { type: 'boolean' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const only = (values.only?.split(',') ?? [...PARTS]) as Part[];
  const unknown = only.filter((p) => !PARTS.includes(p));
  if (unknown.length) throw new Error(`unknown part(s) ${unknown.join(', ')}; parts: ${PARTS.join(', ')}`);
  const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);
  const header = machine();
  const loads = [`load average (1/5/15 min) before: ${load()}`];
  for (const line of header) log(line);
  log(loads[0]);
  const rows: Row[] = [];
  if (only.includes('startup')) {
    rows.push(...await startup({ runs: list(values['startup-runs'], [11])[0], profile: Boolean(values.profile), log }));
  }
  if (only.includes('peer') || only.includes('scale')) {
    const targets = await startTargets(list(values.sshd, [1])[0]);
    try {
      if (only.includes('peer')) {
        rows.push(...await peer(targets, {
          hostCounts: list(values['peer-hosts'], [1, 4]), phoenixRuns: list(values.runs, [5])[0],
          ansibleRuns: list(values['ansible-runs'], [3])[0], log,
        }));
        loads.push(`after peer: ${load()}`);
      }
      if (only.includes('scale')) {
        rows.push(...await scale(targets, {
          hostCounts: list(values['scale-hosts'], [10, 50, 100]), runs: list(values['scale-runs'], [3])[0], log,
        }));
        loads.push(`after scale: ${load()}`);
      }
    } finally {
      await targets.stop();
      rmSync(WORKLOAD_ROOT, { recursive: true, force: true });
    }
  }
  if (only.includes('site')) rows.push(...await site({ runs: list(values['site-runs'], [3])[0], log }));
  loads.push(`at the end: ${load()}`);
  const text = [...header, loads.join('; '), '', renderTable(rows), ''].join('\n');
  process.stdout.write(`\n${text}`);
  if (values.out) writeFileSync(values.out, text);
  return rows.some((r) => r.met === false) ? 1 : 0;
}

main().then((code) => process.exit(code), (error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(2);
});
