/**
 * Splits Ansible's `key=value key2="quoted value"` argument strings. Words without `=` are free-form text
 * and come back joined in `freeForm` (`command: creates=/x ls -l` → {creates: '/x'}, freeForm 'ls -l').
 */
export function parseKeyValue(text: string, knownKeys?: ReadonlySet<string>): { args: Record<string, string>; freeForm: string } {
  const args: Record<string, string> = {};
  const free: string[] = [];
  for (const word of splitWords(text)) {
    const eq = word.raw.indexOf('=');
    const key = eq > 0 ? word.raw.slice(0, eq) : '';
    if (eq > 0 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) && (!knownKeys || knownKeys.has(key))) {
      args[key] = unquote(word.raw.slice(eq + 1));
    } else {
      free.push(word.raw);
    }
  }
  return { args, freeForm: free.join(' ') };
}

interface Word {
  raw: string;
}

/**
 * Splits on unquoted whitespace outside `{{ }}`, keeping quotes in the words (the command module re-splits
 * free-form text): `echo /tmp/{{ inventory_hostname }}/x creates=/y` has two words before `creates`, as in Ansible.
 */
function splitWords(text: string): Word[] {
  const words: Word[] = [];
  let current = '';
  let quote: string | null = null;
  let braces = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (text.startsWith('{{', i)) braces++;
    else if (braces > 0 && text.startsWith('}}', i)) braces--;
    if (braces > 0 && !quote) {
      current += ch;
      continue;
    }
    if (quote) {
      if (ch === '\\' && quote === '"' && i + 1 < text.length) {
        current += ch + text[++i];
        continue;
      }
      if (ch === quote) quote = null;
      current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      current += ch;
    } else if (/\s/.test(ch)) {
      if (current) words.push({ raw: current });
      current = '';
    } else {
      current += ch;
    }
  }
  if (current) words.push({ raw: current });
  return words;
}

function unquote(value: string): string {
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) {
    return value.slice(1, -1).replace(/\\(["\\])/g, '$1');
  }
  return value;
}
