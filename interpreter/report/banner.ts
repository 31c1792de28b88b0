/** Ansible's banner width: `max(79, terminal width - 1)` columns of message and stars. */
const COLUMNS = 79;

/**
 * `PLAY [name] ****…` as Ansible's `Display.banner` prints it: a blank line, the message, a space and stars up to
 * 80 columns in all (at least 3 stars for long messages). Returned without the final newline.
 */
export function banner(message: string, columns = COLUMNS): string {
  const text = message.trim();
  const stars = Math.max(3, columns - text.length);
  return `\n${text} ${'*'.repeat(stars)}`;
}

/** Ansible's `[WARNING]: …` text, wrapped at 79 columns like `textwrap.wrap` (long words are cut). */
export function warningText(message: string, columns = COLUMNS): string {
  return wrap(`[WARNING]: ${message}`, columns).join('\n');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const joined = line ? `${line} ${word}` : word;
    if (joined.length <= width) {
      line = joined;
      continue;
    }
    // Like textwrap: a word longer than a whole line starts where the current line ends and is cut.
    let rest = word;
    if (word.length > width) {
      let start = line ? `${line} ` : '';
      if (start.length >= width) {
        lines.push(line);
        start = '';
      }
      lines.push(start + rest.slice(0, width - start.length));
      rest = rest.slice(width - start.length);
      while (rest.length > width) {
        lines.push(rest.slice(0, width));
        rest = rest.slice(width);
      }
    } else if (line) {
      lines.push(line);
    }
    line = rest;
  }
  if (line) lines.push(line);
  return lines;
}
