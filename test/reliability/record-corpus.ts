import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConnectionCounter, CORPUS_DIR, corpusCases, runCorpusCase, type CorpusExpectation } from './corpus-runner.js';

/**
 * Prints what phoenix does with corpus cases: `node dist/test/reliability/record-corpus.js [--write] [CASE...]`.
 * A new case starts as a folder with its files and an `args.json` (`{"args": [...]}`); review the output, then
 * `--write` turns it into `expect.json`. Never re-record a case to make a failing test pass without reading why.
 */
async function record(): Promise<void> {
  const argv = process.argv.slice(2);
  const write = argv.includes('--write');
  const names = argv.filter((a) => a !== '--write');
  const counter = new ConnectionCounter();
  await counter.start();
  try {
    for (const name of names.length ? names : corpusCases()) {
      const argsFile = join(CORPUS_DIR, name, 'args.json');
      const expectFile = join(CORPUS_DIR, name, 'expect.json');
      const source = existsSync(argsFile) ? argsFile : expectFile;
      const { args } = JSON.parse(readFileSync(source, 'utf8')) as { args: string[] };
      const before = counter.attempts;
      const outcome = await runCorpusCase(name, args, counter.port);
      const expectation: CorpusExpectation = { args, exit: outcome.exit, codes: outcome.codes, positions: outcome.positions };
      console.log(`== ${name}: exit ${outcome.exit} connections ${counter.attempts - before}`);
      console.log(`   ${JSON.stringify({ codes: outcome.codes, positions: outcome.positions })}`);
      console.log((outcome.stderr + outcome.stdout).trim().split('\n').map((l) => `   | ${l}`).join('\n'));
      if (write) {
        writeFileSync(expectFile, `${JSON.stringify(expectation, null, 2)}\n`);
        if (existsSync(argsFile)) rmSync(argsFile);
      }
    }
  } finally {
    await counter.stop();
  }
}

// Only when run as a program: a test runner that loads every file under dist/test must not record anything.
if (process.argv[1] === fileURLToPath(import.meta.url)) await record();
