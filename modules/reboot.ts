import { shellCommand } from '../interpreter/connection/quote.js';
import { UnreachableError, type Connection } from '../interpreter/connection/types.js';
import { containerFacts, rememberPlanned } from './pct/planned.js';
import { ModuleFailure, type Module, type ModuleContext } from './types.js';

/** Ansible's `reboot` arguments that phoenix supports. */
export interface RebootArgs {
  reboot_timeout?: number;
  pre_reboot_delay?: number;
  post_reboot_delay?: number;
  msg?: string;
  test_command?: string;
}

const BOOT_ID = 'cat /proc/sys/kernel/random/boot_id';

/**
 * Reboots the host and waits until it is back: the kernel's boot_id must change (a connection that merely
 * survived is not a reboot), then `test_command` must succeed. The host's one connection is re-established.
 */
export const reboot: Module<RebootArgs> = {
  name: 'reboot',
  schema: {
    type: 'object',
    properties: {
      reboot_timeout: { type: 'integer', minimum: 1, default: 600 },
      pre_reboot_delay: { type: 'integer', minimum: 0, default: 0 },
      post_reboot_delay: { type: 'integer', minimum: 0, default: 0 },
      msg: { type: 'string', default: 'Reboot initiated by phoenix' },
      test_command: { type: 'string', default: 'whoami' },
    },
    additionalProperties: false,
  },

  async plan(ctx) {
    if (ctx.vars.ansible_connection === 'pct') {
      throw new ModuleFailure(`${ctx.host} is a container: restart it with the pct module (state: restarted) on its node`);
    }
    const stopped = ctx.planned ? await containersStoppedByReboot(ctx) : [];
    const also = stopped.length ? `; its running containers without onboot stay stopped: ${stopped.join(', ')}` : '';
    return { changes: [{ summary: `reboot ${ctx.host} and wait until it is back${also}` }] };
  },

  async apply(ctx, args) {
    const conn = ctx.conn;
    const started = Date.now();
    const before = (await conn.run(BOOT_ID)).stdout.trim();
    // Detached, so the command returns before the host goes down and the channel closes cleanly.
    const delay = Math.max(1, args.pre_reboot_delay ?? 0);
    const command = `nohup sh -c ${shellCommandArg(`sleep ${delay}; shutdown -r now ${shellCommand(args.msg ?? 'Reboot initiated by phoenix')}`)} >/dev/null 2>&1 &`;
    const issued = await conn.run(command);
    if (issued.rc !== 0) throw new ModuleFailure(`could not reboot ${ctx.host}: ${issued.stderr.trim() || `exit ${issued.rc}`}`);
    await waitForNewBoot(conn, before, started + (args.reboot_timeout ?? 600) * 1000, ctx.host);
    await new Promise((r) => setTimeout(r, (args.post_reboot_delay ?? 0) * 1000));
    const test = await conn.run(args.test_command ?? 'whoami');
    if (test.rc !== 0) throw new ModuleFailure(`${ctx.host} is back but the test command failed: ${test.stderr.trim()}`);
    return { data: { rebooted: true, elapsed: Math.round((Date.now() - started) / 1000) } };
  },
};

/** `sh -c` takes one argument: the script quoted as one word. */
function shellCommandArg(script: string): string {
  return shellCommand(script);
}

async function waitForNewBoot(conn: Connection & { reconnect?: (ms: number) => Promise<void> }, before: string, deadline: number, host: string): Promise<void> {
  let last = '';
  while (Date.now() < deadline) {
    try {
      const now = (await conn.run(BOOT_ID, { timeoutMs: 10_000 })).stdout.trim();
      if (now && now !== before) return;
    } catch (error) {
      last = (error as Error).message;
      if (!(error instanceof UnreachableError) && !/timed out/.test(last)) throw error;
      await conn.reconnect?.(Math.max(1000, deadline - Date.now())).catch((e: Error) => { last = e.message; });
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new ModuleFailure(`${host} did not come back with a new boot within the reboot_timeout${last ? ` (${last})` : ''}`);
}

/**
 * Check mode, on a Proxmox node: the running containers a reboot leaves stopped (no `onboot: 1`), recorded as
 * planned so later tasks predict starting them again. Returns their VMIDs.
 */
async function containersStoppedByReboot(ctx: ModuleContext): Promise<number[]> {
  const list = await ctx.conn.run('command -v pct >/dev/null 2>&1 && pct list 2>/dev/null; exit 0');
  const running = list.stdout.split('\n').map((l) => /^(\d+)\s+running\b/.exec(l.trim())?.[1]).filter((v): v is string => !!v).map(Number);
  const stopped: number[] = [];
  for (const vmid of running) {
    const facts = await containerFacts(ctx, vmid);
    if (!facts.running || facts.config.onboot === '1') continue;
    rememberPlanned(ctx, vmid, { ...facts, running: false, stoppedInRun: true });
    stopped.push(vmid);
  }
  return stopped;
}
