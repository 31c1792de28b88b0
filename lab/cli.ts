import { readFileSync } from 'node:fs';
import { buildCaches, startLab, stopLab } from './lab.js';
import { parseVe, type Ve } from './paths.js';

const USAGE = 'usage: lab up [--nodes N] [--gpus N] [--ve 8|9|8,9,...] [--debug-sshd] | lab down [--force] | lab cache [--ve 8,9]\n';

/**
 * `node dist/lab/cli.js up [--nodes N] [--gpus N] [--ve V[,V...]] [--debug-sshd]` | `down [--force]` |
 * `cache [--ve 8,9]`. `--ve 9` makes every node Proxmox VE 9 (Debian 13); `--ve 8,9` gives pve1 VE 8 and pve2 VE 9
 * (and implies --nodes 2). Needs root.
 */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const log = (line: string): void => void process.stderr.write(`lab: ${line}\n`);
  if (process.getuid?.() !== 0) {
    process.stderr.write('lab: needs root (mount namespaces, LXC, mknod)\n');
    return 1;
  }
  if (command === 'up') {
    const ve = veList(option(rest, '--ve'));
    const nodes = Number(option(rest, '--nodes') ?? (ve && ve.length > 1 ? ve.length : 1));
    const gpus = Number(option(rest, '--gpus') ?? 2);
    const sshd = rest.includes('--debug-sshd') ? { logLevel: 'DEBUG1' as const } : {};
    const perNode = ve && ve.length > 1 ? ve : ve?.[0];
    const info = await startLab({ nodes, gpus, sshd, log, holder: { keep: true }, ...(perNode ? { ve: perNode } : {}) });
    log(`up in ${info.startSeconds.toFixed(1)} s${info.builtCache ? ' (built the rootfs cache)' : ''}; ` +
      `inventory ${info.inventory}`);
    process.stdout.write(readFileSync(info.inventory, 'utf8'));
    return 0;
  }
  if (command === 'down') {
    if (await stopLab(log, rest.includes('--force'))) log('down: lab removed (rootfs cache kept in /var/cache/phoenix-lab)');
    return 0;
  }
  if (command === 'cache') {
    const built = await buildCaches(veList(option(rest, '--ve')) ?? [8, 9], log);
    log(built ? 'cache: built (in /var/cache/phoenix-lab)' : 'cache: everything in place (/var/cache/phoenix-lab)');
    return 0;
  }
  process.stderr.write(USAGE);
  return 2;
}

/** `--ve 9` or `--ve 8,9`. */
function veList(value: string | undefined): Ve[] | undefined {
  return value === undefined ? undefined : value.split(',').map((v) => parseVe(v, '--ve'));
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
