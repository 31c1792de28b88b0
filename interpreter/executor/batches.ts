/**
 * Which hosts and tasks a play runs: its serial batches, and the task `--start-at-task` names.
 */

/** Splits hosts into serial batches (numbers or percentages; the last size repeats). */
export function batches(hosts: string[], serial?: Array<number | string>): string[][] {
  if (!serial || serial.length === 0) return [hosts];
  const out: string[][] = [];
  let index = 0;
  let step = 0;
  while (index < hosts.length) {
    const spec = serial[Math.min(step, serial.length - 1)];
    const size = typeof spec === 'string' && spec.endsWith('%')
      ? Math.max(1, Math.floor((hosts.length * parseFloat(spec)) / 100))
      : Math.max(1, Number(spec));
    out.push(hosts.slice(index, index + size));
    index += size;
    step++;
  }
  return out;
}

/** Whether a task's name matches `--start-at-task` (exactly, or as a glob with * and ?). */
export function matchesTaskName(name: string, wanted: string): boolean {
  if (name === wanted) return true;
  const pattern = new RegExp(`^${wanted.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return pattern.test(name);
}
