import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { load } from './measure.js';
import { fleet, type Size } from './fleet.js';
import { forms } from './forms.js';
import { peer, WORKLOAD_ROOT } from './peer.js';
import { scale } from './scale.js';
import { site } from './site.js';
import { startup } from './startup.js';
import { renderTable, type Row } from './table.js';
import { startTargets } from './targets.js';

const PARTS = ['startup', 'peer', 'forms', 'scale', 'site', 'fleet'] as const;
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
  --forms-hosts N       hosts of the forms part (\`phoenix\` on PATH, npx, node bin/phoenix.js; default 4)
  --forms-runs N        phoenix runs per form and keeper state (default 3; ansible: --ansible-runs)
  --fleet-sizes LIST    NODESxCTS per node of the fleet part (default 1x5,1x30,3x5,3x30)
  --fleet-ansible LIST  sizes that also run bench/fleet-ansible.yml (default 1x5,3x30)
  --fleet-runs N        no-op re-runs and --check runs per size (default 3)
  --fleet-ansible-runs N  ansible-playbook runs per size, after one warm-up (default 2)
  --forks N             forks of the fleet part, both tools (default 10)
  --fleet-fresh         remove and re-create the lab before each size (lab down; up --nodes MAX): first runs on
                        fresh nodes. Destroys the lab of this PHOENIX_LAB_INSTANCE
  --profile             also profile the startup cases (node --cpu-prof) and print what costs what
  --out FILE            also write the header and table (Markdown) to FILE
`;

function list(value: string | undefined, fallback: number[]): number[] {
  return value ? value.split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0) : fallback;
}

/** `1x5,3x30` -> sizes, in the order given (the fleet part runs them in that order). */
function sizes(value: string): Size[] {
  return value.split(',').filter(Boolean).map((s) => {
    const m = /^(\d+)x(\d+)$/.exec(s.trim());
    if (!m) throw new Error(`fleet size ${s}: expected NODESxCONTAINERS, e.g. 3x30`);
    return { nodes: Number(m[1]), perNode: Number(m[2]) };
  });
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
      'forms-hosts': { type: 'string' }, 'forms-runs': { type: 'string' }, 'fleet-sizes': { type: 'string' },
      'fleet-ansible': { type: 'string' }, 'fleet-runs': { type: 'string' }, 'fleet-ansible-runs': { type: 'string' },
      forks: { type: 'string' }, 'fleet-fresh': { type: 'boolean' },
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
  if (only.includes('peer') || only.includes('scale') || only.includes('forms')) {
    const targets = await startTargets(list(values.sshd, [1])[0]);
    try {
      if (only.includes('peer')) {
        rows.push(...await peer(targets, {
          hostCounts: list(values['peer-hosts'], [1, 4]), phoenixRuns: list(values.runs, [5])[0],
          ansibleRuns: list(values['ansible-runs'], [3])[0], log,
        }));
        loads.push(`after peer: ${load()}`);
      }
      if (only.includes('forms')) {
        rows.push(...await forms(targets, {
          hosts: list(values['forms-hosts'], [4])[0], runs: list(values['forms-runs'], [3])[0],
          ansibleRuns: list(values['ansible-runs'], [3])[0], log,
        }));
        loads.push(`after forms: ${load()}`);
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
  const notes: string[] = [];
  if (only.includes('fleet')) {
    const result = await fleet({
      sizes: sizes(values['fleet-sizes'] ?? '1x5,1x30,3x5,3x30'), ansibleSizes: sizes(values['fleet-ansible'] ?? '1x5,3x30'),
      runs: list(values['fleet-runs'], [3])[0], ansibleRuns: list(values['fleet-ansible-runs'], [2])[0],
      forks: list(values.forks, [10])[0], fresh: Boolean(values['fleet-fresh']), log,
    });
    rows.push(...result.rows);
    notes.push(...result.notes);
    loads.push(`after fleet: ${load()}`);
  }
  loads.push(`at the end: ${load()}`);
  const text = [...header, loads.join('; '), '', renderTable(rows), ...notes, ''].join('\n');
  process.stdout.write(`\n${text}`);
  if (values.out) writeFileSync(values.out, text);
  return rows.some((r) => r.met === false) ? 1 : 0;
}

main().then((code) => process.exit(code), (error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(2);
});
