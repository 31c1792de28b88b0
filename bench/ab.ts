import { rmSync } from 'node:fs';
import { median, timed } from './measure.js';
import { writeStartupFiles } from './startup.js';

/**
 * A/B of two phoenix entry scripts on the startup cases, runs interleaved so machine load hits both alike:
 * `node dist/bench/ab.js OLD_ENTRY.js NEW_ENTRY.js [runs]` (an entry is bin/phoenix.js or a copy pointing at another
 * dist/ tree). Prints median wall and median CPU (user+sys) of each; CPU is the steadier number on a busy machine.
 */
async function main(): Promise<void> {
  const [a, b, runsText] = process.argv.slice(2);
  if (!a || !b) throw new Error('usage: node dist/bench/ab.js A_ENTRY B_ENTRY [runs]');
  const runs = Number(runsText ?? 15);
  const files = writeStartupFiles();
  const cases = {
    'run, 1 task': ['run', files.one, '-i', files.inventory],
    '--syntax-check, 200 tasks': ['run', files.big, '-i', files.inventory, '--syntax-check'],
  };
  try {
    for (const [name, args] of Object.entries(cases)) {
      const wall: Record<string, number[]> = { [a]: [], [b]: [] };
      const cpu: Record<string, number[]> = { [a]: [], [b]: [] };
      for (let i = 0; i <= runs; i++) {
        for (const entry of i % 2 ? [a, b] : [b, a]) {
          const r = await timed(process.execPath, [entry, ...args]);
          if (r.code !== 0) throw new Error(`${entry} ${name}: exit ${r.code}\n${r.stderr.slice(-2000)}`);
          if (i === 0) continue;
          wall[entry].push(r.wallMs);
          cpu[entry].push(r.cpuS * 1000);
        }
      }
      for (const entry of [a, b]) {
        process.stdout.write(`${name.padEnd(26)} ${entry.padEnd(40)} wall ${median(wall[entry]).toFixed(0)} ms, ` +
          `cpu ${median(cpu[entry]).toFixed(0)} ms (${runs} runs)\n`);
      }
    }
  } finally {
    rmSync(files.dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
