import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { costByOwner, inclusiveOf } from './profile.js';
import { expectRecap, median, ms, timed } from './measure.js';
import type { Row } from './table.js';
import { PHOENIX, REPO_ROOT } from './paths.js';

const TARGET_MS = 300;

/** Task i of the generated 200-task playbook: the generic modules in turn, most with a template in an argument. */
function task(i: number): string {
  const path = `/tmp/phoenix-bench-startup/f${i}`;
  switch (i % 6) {
    case 0: return `    - name: command ${i}\n      command: echo {{ inventory_hostname }} ${i}\n`;
    case 1: return `    - name: file ${i}\n      file:\n        path: ${path}\n        state: directory\n        mode: "0755"\n`;
    case 2: return `    - name: copy ${i}\n      copy:\n        content: "value {{ inventory_hostname }} ${i}\\n"\n        dest: ${path}.conf\n`;
    case 3: return `    - name: lineinfile ${i}\n      lineinfile:\n        path: ${path}.conf\n        regexp: '^key${i}='\n        line: key${i}=${i}\n        create: true\n`;
    case 4: return `    - name: debug ${i}\n      debug:\n        msg: "task ${i} on {{ inventory_hostname }}"\n      when: ${i} > 3\n`;
    default: return `    - name: set_fact ${i}\n      set_fact:\n        fact_${i}: "{{ inventory_hostname }}-${i}"\n`;
  }
}

/** Writes the one-task and 200-task playbooks and a local inventory; returns their paths. */
export function writeStartupFiles(): { dir: string; one: string; big: string; inventory: string } {
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-bench-startup-'));
  const header = '- hosts: all\n  gather_facts: false\n  tasks:\n';
  const one = join(dir, 'one-task.yml');
  writeFileSync(one, `${header}    - name: one command\n      command: "true"\n`);
  const big = join(dir, 'two-hundred-tasks.yml');
  writeFileSync(big, header + Array.from({ length: 200 }, (_, i) => task(i)).join(''));
  const inventory = join(dir, 'inventory.yml');
  writeFileSync(inventory, 'all:\n  hosts:\n    localhost:\n      ansible_connection: local\n');
  return { dir, one, big, inventory };
}

export interface StartupOptions {
  runs: number;
  profile: boolean;
  log: (line: string) => void;
}

/** Median wall time of `phoenix run` of a one-task playbook and of `--syntax-check` of a 200-task one (issue 2). */
export async function startup(options: StartupOptions): Promise<Row[]> {
  const files = writeStartupFiles();
  const cases: Array<{ name: string; args: string[]; run: boolean }> = [
    { name: 'run, 1 task, local', args: ['run', files.one, '-i', files.inventory], run: true },
    { name: '--syntax-check, 200 tasks', args: ['run', files.big, '-i', files.inventory, '--syntax-check'], run: false },
  ];
  const rows: Row[] = [];
  try {
    const node = await timed(process.execPath, ['-e', '0']);
    for (const c of cases) {
      const walls: number[] = [];
      let rss = 0;
      for (let i = 0; i < options.runs + 1; i++) {
        const result = await timed(process.execPath, [PHOENIX, ...c.args], { cwd: REPO_ROOT });
        if (c.run) expectRecap(result, c.name, 1);
        else if (result.code !== 0) throw new Error(`${c.name}: exit ${result.code}\n${result.stderr.slice(-3000)}`);
        if (i > 0) walls.push(result.wallMs); // the first run warms the page cache
        rss = Math.max(rss, result.maxRssKb);
      }
      const value = median(walls);
      options.log(`startup ${c.name}: ${walls.map((w) => Math.round(w)).join(' ')} ms`);
      rows.push({
        part: 'startup', case: c.name, phoenix: ms(value), goal: `< ${TARGET_MS} ms`, met: value < TARGET_MS,
        detail: `median of ${walls.length}; min ${ms(Math.min(...walls))}; peak RSS ${Math.round(rss / 1024)} MB; ` +
          `bare \`node -e 0\` ${ms(node.wallMs)}`,
      });
      if (options.profile) await profileCase(c.args, options.log);
    }
  } finally {
    rmSync(files.dir, { recursive: true, force: true });
  }
  return rows;
}

/** One run under `node --cpu-prof`: self time per package / folder, and the inclusive time of the big phases. */
async function profileCase(args: string[], log: (line: string) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-bench-prof-'));
  mkdirSync(dir, { recursive: true });
  await timed(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval', '250', PHOENIX, ...args],
    { cwd: REPO_ROOT });
  const { totalMs, entries } = costByOwner(dir);
  log(`profile of phoenix ${args.join(' ')} (${ms(totalMs)} sampled):`);
  for (const [who, t] of entries.slice(0, 14)) log(`  ${t.toFixed(1).padStart(7)} ms self  ${who}`);
  const phases = inclusiveOf(dir, /^(compile|validateWithSchema|loadPlaybook|openInventory|runCommand|run)$/);
  for (const [fn, t] of phases.slice(0, 10)) log(`  ${t.toFixed(1).padStart(7)} ms incl  ${fn}`);
  rmSync(dir, { recursive: true, force: true });
}
