#!/usr/bin/env node
// Thin launcher. `npm install` (prepare) / `npm run build` compile the TypeScript into dist/ and bundle the CLI into
// dist/phoenix.mjs: one file loads in about half the time of ~280 separate modules (start-up is measured in bench/).
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/phoenix.mjs', import.meta.url);
const { main } = await import(existsSync(bundle) ? bundle.href : '../dist/interpreter/cli.js');
process.exitCode = await main(process.argv.slice(2));
