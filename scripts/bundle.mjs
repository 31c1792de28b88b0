// Bundles the compiled CLI (dist/interpreter/cli.js) and its npm dependencies into dist/phoenix.cjs for start-up
// speed: one file loads in about half the time of ~280 separate modules, and as CommonJS bin/phoenix.js can compile
// it with a V8 code cache (Node 20 has none for ES modules), which saves another ~30 ms a run (measured in bench/).
// node-ssh (ssh2) stays outside: it is loaded only when a run uses SSH, from node_modules.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist/phoenix.mjs', { force: true });
rmSync('dist/phoenix.cjs.cache', { force: true });
await build({
  entryPoints: ['dist/interpreter/cli.js'],
  outfile: 'dist/phoenix.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['node-ssh', 'ssh2', 'cpu-features'],
  // The code finds its files (schema cache, bin/) from import.meta.url: give the CommonJS bundle the same value.
  define: { 'import.meta.url': '__phoenix_meta_url' },
  banner: { js: "const __phoenix_meta_url = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
