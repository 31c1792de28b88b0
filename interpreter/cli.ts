import { setMaxListeners } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { ErrorListError, PhoenixError } from './errors.js';
import { parseRunArgs, RUN_HELP } from './cli/args.js';
import { runCommand, type Output } from './cli/run-command.js';
import { inventoryCommand, INVENTORY_HELP } from './cli/inventory-command.js';
import { createHumanReporter } from './report/human.js';
import { bufferedOutput } from './report/buffered.js';
import { createJsonReporter } from './report/json.js';
import { formatError } from './report/errors.js';
import type { EventSink } from './events.js';
import type { WarmConnection } from './connection/keeper/protocol.js';

const HELP = `usage: phoenix <command> [options]

commands:
  run PLAYBOOK      run a playbook (ansible-playbook's options; phoenix run --help)
  inventory         show the inventory (--list, --graph [GROUP], --host NAME)

phoenix installs NVIDIA drivers and CUDA on Proxmox VE hosts and their LXC containers from one JSON config.
`;

/** Entry point of the `phoenix` binary; resolves to the exit code. */
export async function main(argv: string[], output: Output = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [command, ...rest] = argv;
  const color = Boolean(output.stderr.isTTY) && !process.env.NO_COLOR;
  try {
    if (command === 'run') return await run(rest, output);
    if (command === '__ssh-keeper') return await keeper(rest);
    if (command === 'inventory') return inventoryCommand(rest, output);
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      output.stdout.write(command === 'help' && rest[0] === 'run' ? RUN_HELP : command === 'help' && rest[0] === 'inventory' ? INVENTORY_HELP : HELP);
      return command === undefined ? 5 : 0;
    }
    if (command === '--version') {
      output.stdout.write('phoenix 0.1.0\n');
      return 0;
    }
    throw new PhoenixError('E_USAGE', `unknown command '${command}'`, { hint: 'use `phoenix run PLAYBOOK` or `phoenix inventory --graph`' }, 5);
  } catch (error) {
    return reportError(error, output, color);
  }
}

async function run(argv: string[], output: Output): Promise<number> {
  const args = parseRunArgs(argv);
  if (args === 'help') {
    output.stdout.write(RUN_HELP);
    return 0;
  }
  const color = Boolean(output.stdout.isTTY) && !process.env.NO_COLOR;
  const stdout = bufferedOutput(output.stdout);
  const emit: EventSink = args.json
    ? createJsonReporter(output.stdout, output.stderr)
    : createHumanReporter(stdout, { verbosity: args.verbosity, diff: args.diff, color });
  const controller = new AbortController();
  // Every command in flight listens for Ctrl-C: with forks 100 that is 100 listeners, not a leak.
  setMaxListeners(0, controller.signal);
  const onSignal = (): void => {
    stdout.flush();
    if (controller.signal.aborted) process.exit(99);
    controller.abort();
    emit({ type: 'interrupted' });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const code = await runCommand(args, emit, output, controller.signal);
    return controller.signal.aborted ? 99 : code;
  } finally {
    stdout.flush();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The SSH keeper process (started by runs, never by hand): see connection/keeper/protocol.ts. */
async function keeper([socketPath, persistMs]: string[]): Promise<number> {
  const { runKeeper, logKeeperFailure } = await import('./connection/keeper/server.js');
  const { loadSshLibrary } = await import('./connection/ssh.js');
  process.on('uncaughtException', (error) => {
    logKeeperFailure(socketPath, error);
    process.exit(1);
  });
  // `pkill -f __ssh-keeper`: end now, and take the socket file along (its connections close with the process).
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => {
      rmSync(socketPath, { force: true });
      process.exit(0);
    });
  }
  // Started at the beginning of a run: load the SSH library while it works, listen once it has ended.
  loadSshLibrary();
  const warm = await warmList();
  if (warm) await runKeeper(socketPath, Number(persistMs), warm);
  process.exit(0);
}

/**
 * The connections the starting run made (JSON on stdin, written when it ends), for the keeper to open at once;
 * undefined when it wrote `null` (it made no connection: no keeper is needed). Nothing at all (started by hand, or
 * the run died first) is none to open: the keeper serves, and ends when idle.
 */
async function warmList(): Promise<WarmConnection[] | undefined> {
  if (process.stdin.isTTY) return [];
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const list: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '[]');
    return list === null ? undefined : Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}

function reportError(error: unknown, output: Output, color: boolean): number {
  const options = { color, readSource };
  if (error instanceof PhoenixError || error instanceof ErrorListError) {
    output.stderr.write(`${formatError(error, options)}\n`);
    return error.exitCode;
  }
  output.stderr.write(`${formatError(error as Error, options)}\n`);
  return 1;
}

function readSource(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
