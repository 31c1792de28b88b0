#!/usr/bin/env node
// Thin launcher: the CLI is compiled from TypeScript into dist/ by `npm install` (prepare) or `npm run build`.
import { main } from '../dist/interpreter/cli.js';
main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
