import { parseArgs } from 'node:util';
import { PhoenixError } from '../errors.js';

/** Options of `phoenix run`, named after ansible-playbook's. */
export interface RunArgs {
  playbook: string;
  inventory: string[];
  limit?: string;
  tags: string[];
  skipTags: string[];
  check: boolean;
  diff: boolean;
  extraVars: string[];
  forks: number;
  startAtTask?: string;
  listHosts: boolean;
  listTasks: boolean;
  listTags: boolean;
  syntaxCheck: boolean;
  json: boolean;
  verbosity: number;
  hostKeyChecking?: string;
}

const runOptions = {
  inventory: { type: 'string', short: 'i', multiple: true },
  limit: { type: 'string', short: 'l' },
  tags: { type: 'string', short: 't', multiple: true },
  'skip-tags': { type: 'string', multiple: true },
  check: { type: 'boolean', short: 'C' },
  diff: { type: 'boolean', short: 'D' },
  'extra-vars': { type: 'string', short: 'e', multiple: true },
  forks: { type: 'string', short: 'f' },
  'start-at-task': { type: 'string' },
  'list-hosts': { type: 'boolean' },
  'list-tasks': { type: 'boolean' },
  'list-tags': { type: 'boolean' },
  'syntax-check': { type: 'boolean' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v', multiple: true },
  'host-key-checking': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Parses `phoenix run` arguments; misuse is a PhoenixError with exit code 5. */
export function parseRunArgs(argv: string[]): RunArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: runOptions, allowPositionals: true, strict: true });
  } catch (error) {
    throw usage((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1) throw usage(positionals.length === 0 ? 'missing PLAYBOOK' : `one playbook at a time, got: ${positionals.join(' ')}`);
  const forks = values.forks === undefined ? 10 : Number(values.forks);
  if (!Number.isInteger(forks) || forks < 1) throw usage(`--forks must be a positive integer, got '${values.forks}'`);
  const policy = values['host-key-checking'];
  if (policy !== undefined && !['strict', 'accept-new', 'off'].includes(policy)) throw usage(`--host-key-checking must be strict, accept-new or off`);
  return {
    playbook: positionals[0],
    inventory: values.inventory ?? [],
    limit: values.limit,
    tags: splitList(values.tags),
    skipTags: splitList(values['skip-tags']),
    check: values.check ?? false,
    diff: values.diff ?? false,
    extraVars: values['extra-vars'] ?? [],
    forks,
    startAtTask: values['start-at-task'],
    listHosts: values['list-hosts'] ?? false,
    listTasks: values['list-tasks'] ?? false,
    listTags: values['list-tags'] ?? false,
    syntaxCheck: values['syntax-check'] ?? false,
    json: values.json ?? false,
    verbosity: values.verbose?.length ?? 0,
    hostKeyChecking: policy,
  };
}

function splitList(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}

function usage(message: string): PhoenixError {
  return new PhoenixError('E_USAGE', message, { hint: 'see `phoenix run --help`' }, 5);
}

export const RUN_HELP = `usage: phoenix run PLAYBOOK [options]

  -i, --inventory PATH     inventory file or directory (repeatable; default inventory/)
  -l, --limit PATTERN      limit hosts: names, groups, a:b, a,b, !x, &y, globs, ~regex
  -t, --tags T1,T2         run only tasks with these tags (always, never, tagged, untagged, all)
      --skip-tags T1,T2    skip tasks with these tags
  -C, --check              dry run: report what would change, change nothing
  -D, --diff               show before/after diffs of files and configs
  -e, --extra-vars VARS    k=v, JSON/YAML text, or @file (repeatable, highest precedence)
  -f, --forks N            hosts in parallel (default 10)
      --start-at-task NAME start at the first task whose name matches
      --list-hosts, --list-tasks, --list-tags, --syntax-check
      --json               one JSON document on stdout instead of the human output
      --host-key-checking  strict (default) | accept-new | off
  -v                       more detail (repeatable)

exit codes: 0 ok, 1 error before the run, 2 a host failed, 4 unreachable or invalid files, 5 bad options, 99 interrupted
`;
