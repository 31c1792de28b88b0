#!/usr/bin/env node
'use strict';
// Thin launcher, CommonJS (bin/package.json) so that Node does not start its ES module loader (~7 ms).
// `npm install` (prepare) / `npm run build` compile the TypeScript into dist/ and bundle the CLI into dist/phoenix.cjs
// (scripts/bundle.mjs). The bundle is compiled with a V8 code cache (dist/phoenix.cjs.cache, written after the
// first `run` that finds none or finds it stale), so later runs skip most parsing and compiling.
// A bundle older than the last compile (someone ran only tsc) is ignored, so the code that runs is never stale.
const { existsSync, readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { join } = require('node:path');
const vm = require('node:vm');

// `phoenix inventory --graph | head`: a reader that goes away is not an error of ours. Stop writing, go on (a run
// still finishes what it started and exits with its own code).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
  });
}

const dist = join(__dirname, '..', 'dist');
const bundle = join(dist, 'phoenix.cjs');
const compiled = join(dist, '.tsbuildinfo');
const argv = process.argv.slice(2);

function runBundle() {
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
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dist);
  return module.exports.main(argv).then((code) => {
    // Written after a run, so the functions a run needs are in it; best effort (a read-only install goes without).
    if (argv[0] === 'run' && (!cachedData || script.cachedDataRejected)) {
      try {
        const temp = `${cacheFile}.${process.pid}`;
        writeFileSync(temp, script.createCachedData());
        renameSync(temp, cacheFile);
      } catch {
        // not writable: fine
      }
    }
    return code;
  });
}

const fresh = existsSync(bundle) && (!existsSync(compiled) || statSync(bundle).mtimeMs >= statSync(compiled).mtimeMs);
const done = fresh ? runBundle() : import('../dist/interpreter/cli.js').then((cli) => cli.main(argv));
done.then((code) => {
  process.exitCode = code;
}, (error) => {
  console.error(error);
  process.exitCode = 1;
});
