import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CommandResult, Connection, PutOptions } from '../../interpreter/connection/types.js';
import { sharedDir } from './shared.js';
import { batchCommands, batchOutput } from '../../modules/nvidia/probes.js';

/**
 * A host that answers with captured outputs, for module fixture tests (style: "module tests are data").
 * Each response matches a command by regular expression; a command that matches none throws, so a test
 * fails loudly when a module runs something the fixture did not expect. Only for what this machine cannot
 * run (the NVIDIA driver, Proxmox's daemons); everything else is tested on real processes.
 */
export interface FixtureResponse {
  /** Regular expression tested against the whole command line. */
  match: string;
  rc?: number;
  stdout?: string;
  /** Path of a file whose content is the stdout: `shared:fixtures/...` (the read-only ../shared) or repo-relative. */
  stdoutFile?: string;
  stderr?: string;
}

export class FixtureConnection implements Connection {
  /** Every command run, in order. */
  readonly commands: string[] = [];
  /** Files written with put, by path. */
  readonly written = new Map<string, { content: Buffer; options?: PutOptions }>();

  constructor(
    readonly host: string,
    private readonly responses: FixtureResponse[],
    private readonly files: Record<string, string | null> = {},
  ) {}

  async run(command: string): Promise<CommandResult> {
    // Several probes in one round trip (modules/nvidia/probes.ts runProbes): each answered as if run alone.
    const batch = batchCommands(command);
    if (batch) {
      const results = [];
      for (const c of batch.commands) results.push(await this.run(c));
      return { rc: 0, stdout: batchOutput(results, batch.mark), stderr: '' };
    }
    this.commands.push(command);
    const response = this.responses.find((r) => new RegExp(r.match, 's').test(command));
    if (!response) throw new Error(`fixture host ${this.host}: unexpected command: ${command}`);
    const stdout = response.stdoutFile ? readFixtureFile(response.stdoutFile) : response.stdout ?? '';
    return { rc: response.rc ?? 0, stdout, stderr: response.stderr ?? '' };
  }

  async put(content: string | Buffer, remotePath: string, options?: PutOptions): Promise<void> {
    this.written.set(remotePath, { content: Buffer.from(content), options });
  }

  async get(remotePath: string): Promise<Buffer | null> {
    const value = this.files[remotePath];
    if (value === undefined || value === null) return null;
    return Buffer.from(value.startsWith('shared:') || value.startsWith('file:') ? readFixtureFile(value) : value);
  }

  async close(): Promise<void> {}
}

/** Reads `shared:fixtures/gpu-h100-ubuntu2404/proc-devices.txt` from ../shared, or `file:test/...` from the repo. */
export function readFixtureFile(ref: string): string {
  if (ref.startsWith('shared:')) return readFileSync(resolve(sharedDir(), ref.slice('shared:'.length)), 'utf8');
  return readFileSync(resolve(ref.replace(/^file:/, '')), 'utf8');
}

export { sharedDir };
