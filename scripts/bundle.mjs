// Bundles the compiled CLI (dist/interpreter/cli.js) and its npm dependencies into dist/phoenix.mjs for start-up
// speed. node-ssh (ssh2) stays outside: it is loaded only when a run uses SSH, from node_modules.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/interpreter/cli.js'],
  outfile: 'dist/phoenix.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['node-ssh', 'ssh2', 'cpu-features'],
  // CommonJS dependencies (handlebars, ajv) call require(): give the ESM bundle one.
  banner: { js: "import { createRequire as __phoenixCreateRequire } from 'node:module'; const require = __phoenixCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
