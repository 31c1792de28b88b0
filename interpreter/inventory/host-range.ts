const RANGE = String.raw`\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const LABEL = String.raw`(?:\w|${RANGE})(?:[\w-]|${RANGE})*(?<![_-])`;
/** ansible-core's parse_address patterns (hostname, IPv4, IPv6), ranges allowed. */
const HOSTNAME = new RegExp(String.raw`^${LABEL}(?:\.${LABEL})*$`, 'i');
const IPV4 = /^(?:(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|\[[0-9]+:[0-9]+(?::[0-9]+)?\])\.){3}(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|\[[0-9]+:[0-9]+(?::[0-9]+)?\])$/;
const H = String.raw`(?:[0-9a-f]{1,4}|\[[0-9a-f]+:[0-9a-f]+(?::[0-9]+)?\])`;
/** ansible-core's IPv6 pattern, quirk kept: its `$` binds only to the last alternative, so the others match a prefix. */
const IPV6 = new RegExp(
  '^(?:' +
    [
      `(?:${H}:){7}${H}`, `(?:${H}:){1,6}:`, `(?:${H}:)(?::${H}){1,6}`, `(?:${H}:){2}(?::${H}){1,5}`,
      `(?:${H}:){3}(?::${H}){1,4}`, `(?:${H}:){4}(?::${H}){1,3}`, `(?:${H}:){5}(?::${H}){1,2}`, `(?:${H}:){6}(?::${H})`,
      `:(?::${H}){1,6}`, `${H}?::`, `(?:0:){6}(?:${H}\\.){3}${H}`, `::(?:ffff:)?(?:${H}\\.){3}${H}`,
      `(?:0:){5}ffff:(?:${H}\\.){3}${H}$`,
    ].join('|') +
    ')',
  'i',
);
const HOST_PORT = /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/;
const BRACKETED_HOST_PORT = /^\[(.+)\]:([0-9]+)$/;

/** An inventory host key, expanded: `web[01:03]:2222` gives web01..web03 with port 2222. */
export interface HostKey {
  names: string[];
  port?: number;
}

/** Whether text is one host identifier in ansible's sense (name, IPv4, IPv6; ranges allowed), with an optional port. */
export function parseAddress(text: string): { host: string; port?: number } | undefined {
  let host = text;
  let port: number | undefined;
  const m = BRACKETED_HOST_PORT.exec(text) ?? HOST_PORT.exec(text);
  if (m) {
    host = m[1];
    port = Number(m[2]);
  }
  return IPV4.test(host) || IPV6.test(host) || HOSTNAME.test(host) ? { host, port } : undefined;
}

/**
 * ansible-core's _expand_hostpattern for YAML inventory keys: `name[:port]` where the name may hold ranges
 * `[01:10]`, `[a:f]`, `[0:20:5]` (zero-padded when the start is). Throws an Error whose message says what is wrong.
 */
export function expandHostKey(key: string): HostKey {
  const parsed = parseAddress(key);
  if (!parsed) throw new Error(`invalid host name '${key}'`);
  const names = parsed.host.includes('[') ? expandRange(parsed.host) : [parsed.host];
  return { names, port: parsed.port };
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** ansible-core's expand_hostname_range: the first `[...]` expands, recursively for the rest. */
function expandRange(name: string): string[] {
  const open = name.indexOf('[');
  const close = name.indexOf(']', open);
  const [head, range, tail] = [name.slice(0, open), name.slice(open + 1, close), name.slice(close + 1)];
  const bounds = range.split(':');
  if (bounds.length !== 2 && bounds.length !== 3) throw new Error('host range must be begin:end or begin:end:step');
  const begin = bounds[0] || '0';
  const end = bounds[1];
  const step = Number(bounds[2] ?? '1');
  if (!end) throw new Error('host range must specify end value');
  if (!(step > 0)) throw new Error('host range step must be positive');
  let seq: string[];
  if (LETTERS.includes(begin) && LETTERS.includes(end) && begin.length === 1 && end.length === 1) {
    const [b, e] = [LETTERS.indexOf(begin), LETTERS.indexOf(end)];
    if (b > e) throw new Error('host range must have begin <= end');
    seq = [];
    for (let i = b; i <= e; i += step) seq.push(LETTERS[i]);
  } else {
    if (!/^[0-9]+$/.test(begin) || !/^[0-9]+$/.test(end)) throw new Error('host range bounds must be numbers or single letters');
    const width = begin.length > 1 && begin.startsWith('0') ? begin.length : 0;
    if (width && width !== end.length) throw new Error('host range must specify equal-length begin and end formats');
    seq = [];
    for (let i = Number(begin); i <= Number(end); i += step) seq.push(String(i).padStart(width, '0'));
  }
  return seq.flatMap((part) => {
    const expanded = head + part + tail;
    return expanded.includes('[') ? expandRange(expanded) : [expanded];
  });
}
