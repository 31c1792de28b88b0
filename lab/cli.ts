import { readFileSync } from 'node:fs';
import { startLab, stopLab } from './lab.js';

/** `node dist/lab/cli.js up [--nodes N] [--gpus N] [--debug-sshd]` | `down [--force]`. Needs root. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const log = (line: string): void => void process.stderr.write(`lab: ${line}\n`);
  if (process.getuid?.() !== 0) {
    process.stderr.write('lab: needs root (mount namespaces, LXC, mknod)\n');
    return 1;
  }
  if (command === 'up') {
    const nodes = Number(option(rest, '--nodes') ?? 1);
    const gpus = Number(option(rest, '--gpus') ?? 2);
    const sshd = rest.includes('--debug-sshd') ? { logLevel: 'DEBUG1' as const } : {};
    const info = await startLab({ nodes, gpus, sshd, log, holder: { keep: true } });
    log(`up in ${info.startSeconds.toFixed(1)} s${info.builtCache ? ' (built the rootfs cache)' : ''}; ` +
      `inventory ${info.inventory}`);
    process.stdout.write(readFileSync(info.inventory, 'utf8'));
    return 0;
  }
  if (command === 'down') {
    if (await stopLab(log, rest.includes('--force'))) log('down: lab removed (rootfs cache kept in /var/cache/phoenix-lab)');
    return 0;
  }
  process.stderr.write('usage: lab up [--nodes N] [--gpus N] [--debug-sshd] | lab down [--force]\n');
  return 2;
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`lab: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
