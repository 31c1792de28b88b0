import { Chalk, type ChalkInstance } from 'chalk';

/** A way to colour one kind of output line; identity when colour is off. */
export type Paint = (text: string) => string;

/** The colours of Ansible's default callback (ansible-core's `COLOR_*` defaults), by role. */
export interface Palette {
  ok: Paint;
  changed: Paint;
  failed: Paint;
  unreachable: Paint;
  skipped: Paint;
  warning: Paint;
  /** FAILED - RETRYING lines (Ansible's `COLOR_DEBUG`, dark gray). */
  debug: Paint;
  verbose: Paint;
  diffAdd: Paint;
  diffRemove: Paint;
  diffLines: Paint;
  /** Error report decorations (gutter, arrow). */
  frame: Paint;
  hint: Paint;
  bold: Paint;
}

/** Builds the palette; with `color` false every entry returns its text unchanged. */
export function createPalette(color: boolean): Palette {
  // A private instance: chalk's global level follows the process's stdout, not the stream we write to.
  const c: ChalkInstance = new Chalk({ level: color ? 1 : 0 });
  return {
    ok: c.green,
    changed: c.yellow,
    failed: c.red,
    unreachable: c.redBright,
    skipped: c.cyan,
    warning: c.magentaBright,
    debug: c.gray,
    verbose: c.blue,
    diffAdd: c.green,
    diffRemove: c.red,
    diffLines: c.cyan,
    frame: c.blue,
    hint: c.cyan,
    bold: c.bold,
  };
}
