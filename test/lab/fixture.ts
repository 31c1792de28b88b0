import { labInfo, startLab, stopLab, type LabInfo, type LabOptions } from './lab.js';

/** Why lab tests are skipped, or undefined when they run (PHOENIX_SKIP_LAB=1 is the only way to skip them). */
export function labSkipReason(): string | undefined {
  if (process.env.PHOENIX_SKIP_LAB === '1') return 'PHOENIX_SKIP_LAB=1';
  return undefined;
}

/**
 * A lab for one test file: reuses the running lab (`npm run lab:up`) or starts one, and in `release` stops it only
 * if this file started it, so a developer's lab survives `npm test`.
 */
export class LabLease {
  info!: LabInfo;
  private startedHere = false;

  async acquire(options: LabOptions = {}): Promise<LabInfo> {
    const before = labInfo();
    this.startedHere = !before || before.nodes.some((n) => !n.sshdPid);
    this.info = await startLab(options);
    return this.info;
  }

  async release(): Promise<void> {
    if (this.startedHere) await stopLab();
  }
}

/** Prints why a lab test file is skipped (uvu has no skip report of its own). */
export function announceSkip(file: string, reason: string): void {
  process.stdout.write(`\n  skipped ${file}: ${reason}\n`);
}
