/** One line of the benchmark table; `phoenix` holds the measured value for parts that run phoenix alone. */
export interface Row {
  part: string;
  case: string;
  ansible?: string;
  phoenix: string;
  /** ansible-playbook time / phoenix time. */
  ratio?: string;
  /** Counts, per-task figures and other context for the numbers. */
  detail?: string;
  goal?: string;
  met?: boolean;
}

const COLUMNS: Array<[keyof Row, string]> = [
  ['part', 'part'], ['case', 'case'], ['ansible', 'ansible-playbook'], ['phoenix', 'phoenix'], ['ratio', 'ratio'],
  ['goal', 'goal'], ['met', 'met'], ['detail', 'detail'],
];

function cell(row: Row, key: keyof Row): string {
  const value = row[key];
  if (key === 'met') return value === undefined ? '' : value ? 'yes' : 'NO';
  return value === undefined ? '' : String(value).replace(/\|/g, '\\|');
}

/** A Markdown table: readable in a terminal and pasted as-is into RESULTS.md. */
export function renderTable(rows: Row[]): string {
  const widths = COLUMNS.map(([key, title]) => Math.max(title.length, ...rows.map((r) => cell(r, key).length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [
    line(COLUMNS.map(([, title]) => title)),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(COLUMNS.map(([key]) => cell(r, key)))),
  ].join('\n');
}
