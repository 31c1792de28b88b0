import { readFileSync } from 'node:fs';
import type { RunEvent, TaskInfo } from '../../../interpreter/events.js';
import type { HostResult } from '../../../interpreter/result.js';

/** Test support for the reporter tests: a string sink, recorded Ansible output, and command-like result data. */

/** A writable that keeps what was written; `isTTY`/`columns` as a terminal would report them. */
export function capture(isTTY = false, columns?: number): { write(s: string): void; isTTY: boolean; columns?: number; text: string } {
  return {
    isTTY,
    columns,
    text: '',
    write(s: string) {
      this.text += s;
    },
  };
}

/** A file recorded by `record.sh` (tests run from dist/, the fixtures stay in the source tree). */
export function recorded(name: string): string {
  return readFileSync(new URL(`../../../../test/interpreter/report/fixtures/ansible/${name}`, import.meta.url), 'utf8');
}

/** The values record.sh puts in place of Ansible's times. */
const TIME = '2026-01-01 00:00:00.000000';

/** Return values shaped like Ansible's `command` module, with record.sh's normalised times. */
export function commandData(cmd: string[], rc: number, stdout = '', stderr = ''): Record<string, unknown> {
  const lines = (s: string) => (s === '' ? [] : s.split('\n'));
  return {
    cmd, delta: '0:00:00.001000', end: TIME, rc, start: TIME,
    stderr, stderr_lines: lines(stderr), stdout, stdout_lines: lines(stdout),
  };
}

export function task(name: string, module = 'command', kind: TaskInfo['kind'] = 'task'): TaskInfo {
  return { name, module, kind };
}

/** Feeds events to a sink. */
export function replay(sink: (e: RunEvent) => void, events: RunEvent[]): void {
  for (const event of events) sink(event);
}

/** A loop item result as HostResult.items holds it. */
export function item(result: HostResult, value: unknown, label = String(value)): HostResult & { item: unknown; label: string } {
  return { ...result, item: value, label };
}

/**
 * Colour escapes of Ansible (`\e[0;32m … \e[0m`) and chalk (`\e[32m … \e[39m`) both turned into `<green>…</>`, and
 * empty spans dropped, so coloured output can be compared colour by colour with a recording.
 */
export function colourTags(text: string): string {
  const names: Record<string, string> = {
    '0;31': 'red', '31': 'red', '1;31': 'bright-red', '91': 'bright-red', '0;32': 'green', '32': 'green',
    '0;33': 'yellow', '33': 'yellow', '0;36': 'cyan', '36': 'cyan', '1;35': 'bright-magenta', '95': 'bright-magenta',
    '1;30': 'gray', '90': 'gray', '0;34': 'blue', '34': 'blue', '1': 'bold', '22': 'bold-end', '0': '/', '39': '/',
  };
  const tagged = text.replace(/\x1b\[([0-9;]*)m/g, (_, code: string) => {
    const name = names[code] ?? `?${code}`;
    return name === '/' ? '</>' : `<${name}>`;
  });
  return tagged.replace(/<[a-z-]+><\/>/g, '');
}
