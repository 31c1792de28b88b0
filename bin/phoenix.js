#!/usr/bin/env node
// Thin launcher. `npm install` (prepare) / `npm run build` compile the TypeScript into dist/ and bundle the CLI into
// dist/phoenix.cjs (scripts/bundle.mjs). The bundle is compiled with a V8 code cache (dist/phoenix.cjs.cache, written
// after the first `run` that finds none or finds it stale), so later runs skip most parsing and compiling.
// A bundle older than the last compile (someone ran only tsc) is ignored, so the code that runs is never stale.
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const bundle = fileURLToPath(new URL('../dist/phoenix.cjs', import.meta.url));
const compiled = fileURLToPath(new URL('../dist/.tsbuildinfo', import.meta.url));
const fresh = existsSync(bundle) && (!existsSync(compiled) || statSync(bundle).mtimeMs >= statSync(compiled).mtimeMs);
const argv = process.argv.slice(2);

if (fresh) {
  const cacheFile = `${bundle}.cache`;
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // no cache yet: this run compiles from source
  }
  const source = readFileSync(bundle, 'utf8');
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`,
    { filename: bundle, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, fileURLToPath(new URL('../dist', import.meta.url)));
  process.exitCode = await module.exports.main(argv);
  // Written after a run, so the functions a run needs are in it; best effort (a read-only install just goes without).
  if (argv[0] === 'run' && (!cachedData || script.cachedDataRejected)) {
    try {
      const temp = `${cacheFile}.${process.pid}`;
      writeFileSync(temp, script.createCachedData());
      renameSync(temp, cacheFile);
    } catch {
      // not writable: fine
    }
  }
} else {
  const { main } = await import('../dist/interpreter/cli.js');
  process.exitCode = await main(argv);
}
