import Handlebars from 'handlebars';
import { PhoenixError, type SourcePosition } from '../errors.js';
import { pyRegex, pySub } from '../expr/regex.js';

/** Where a template came from, for error messages. */
export interface TemplateSource {
  pos?: SourcePosition;
  /** What is being templated, e.g. "task 'Install driver' argument 'dest'". */
  what?: string;
}

/** A compiled template: `paths` are checked to be defined before `render` (which may rely on it). */
type Compiled = { render: (vars: Record<string, unknown>, source: TemplateSource) => string; paths: string[][] };

const handlebars = Handlebars.create();
const compiledCache = new Map<string, Compiled>();
const SIMPLE_PATH = /^\s*\{\{\s*([A-Za-z_][\w]*(?:\.[\w-]+|\[\d+\]|\['[^'\]]*'\]|\["[^"\]]*"\])*)\s*\}\}\s*$/;
const JINJA_SEGMENTS = /\.(\d+)|\[(\d+)\]|\['([^'\]]*)'\]|\["([^"\]]*)"\]/g;

/** True when the string contains template syntax at all (cheap test before any work). */
export function isTemplated(text: string): boolean {
  return text.includes('{{');
}

/**
 * Renders one string. A string that is exactly one `{{ path }}` yields the variable's value with its type
 * (a list stays a list), as in Ansible; anything else is a Handlebars template rendered with `noEscape`.
 * An undefined variable is an error naming it, never an empty string.
 */
export function renderString(text: string, vars: Record<string, unknown>, source: TemplateSource = {}): unknown {
  if (!isTemplated(text)) return text;
  const single = SIMPLE_PATH.exec(text);
  if (single) return lookupPath(vars, splitPath(single[1]), text, source);
  const compiled = compile(text, source);
  for (const path of compiled.paths) lookupPath(vars, path, text, source);
  return compiled.render(vars, source);
}

/** Renders every string inside a value (objects and lists recursively); other values are returned as they are. */
export function renderValue(value: unknown, vars: Record<string, unknown>, source: TemplateSource = {}): unknown {
  if (typeof value === 'string') return renderString(value, vars, source);
  if (Array.isArray(value)) return value.map((v) => renderValue(v, vars, source));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = renderValue(v, vars, source);
    return out;
  }
  return value;
}

/** Renders a whole file (the template module); always a string. */
export function renderTemplate(text: string, vars: Record<string, unknown>, source: TemplateSource = {}): string {
  const result = renderString(text, vars, source);
  return typeof result === 'string' ? result : stringify(result);
}

/** Parses a template without rendering it, so syntax errors are found before the run. Throws E_TEMPLATE_SYNTAX. */
export function checkTemplate(text: string, source: TemplateSource = {}): void {
  if (isTemplated(text) && !SIMPLE_PATH.test(text)) compile(text, source);
}

function compile(text: string, source: TemplateSource): Compiled {
  const cached = compiledCache.get(text);
  if (cached) return cached;
  const plain = compilePlain(text);
  if (plain) {
    compiledCache.set(text, plain);
    return plain;
  }
  const converted = convertJinjaPaths(text);
  let ast: hbs.AST.Program;
  try {
    ast = handlebars.parse(converted);
  } catch (error) {
    throw new PhoenixError('E_TEMPLATE_SYNTAX', `template does not parse: ${firstLine((error as Error).message)}`, {
      pos: source.pos,
      hint: `check the {{ }} expressions in ${JSON.stringify(text)}${source.what ? ` (${source.what})` : ''}`,
    });
  }
  const template = handlebars.compile(ast, { noEscape: true, strict: false });
  const compiled: Compiled = {
    render: (vars) => template(vars, { allowProtoPropertiesByDefault: false }),
    paths: topLevelPaths(ast),
  };
  compiledCache.set(text, compiled);
  return compiled;
}

const PLAIN_MUSTACHE = /\{\{\s*([A-Za-z_][\w]*(?:\.[\w-]+|\[\d+\]|\['[^'\]]*'\]|\["[^"\]]*"\])*)\s*\}\}/g;

/**
 * Text with only plain `{{ path }}` mustaches (the common case: `/srv/{{ inventory_hostname }}/etc`) is rendered by
 * joining strings, without compiling a Handlebars function (about 1 ms each on cold code). The output is what
 * Handlebars gives with `noEscape`: the value's string form, '' for null. Anything else (helpers, blocks, `~`,
 * escapes, a path named like a helper) goes to Handlebars.
 */
function compilePlain(text: string): Compiled | undefined {
  if (text.includes('\\') || text.includes('{{{') || text.includes('}}}')) return undefined;
  const literals: string[] = [];
  const paths: string[][] = [];
  let last = 0;
  for (const match of text.matchAll(PLAIN_MUSTACHE)) {
    const path = splitPath(match[1]);
    if (path.length === 1 && handlebars.helpers[path[0]]) return undefined;
    literals.push(text.slice(last, match.index));
    paths.push(path);
    last = match.index! + match[0].length;
  }
  literals.push(text.slice(last));
  if (paths.length === 0 || literals.some((l) => l.includes('{{') || l.includes('}}'))) return undefined;
  // The paths are looked up while rendering (an undefined one is the same error): no second lookup beforehand.
  return {
    paths: [],
    render: (vars, source) => {
      let out = literals[0];
      for (let i = 0; i < paths.length; i++) {
        const value = lookupPath(vars, paths[i], text, source);
        out += (value === null || value === undefined ? '' : String(value)) + literals[i + 1];
      }
      return out;
    },
  };
}

/** Ansible writes `a.0`, `a[0]` and `a['b']`; Handlebars wants `a.[0]` and `a.[b]`. Only simple mustaches are touched. */
function convertJinjaPaths(text: string): string {
  return text.replace(/\{\{(\s*)([A-Za-z_][^{}]*?)(\s*)\}\}/g, (whole, pre: string, body: string, post: string) => {
    if (!/^[\w.\[\]'"-]+$/.test(body)) return whole;
    const path = body.replace(JINJA_SEGMENTS, (_m, dot, idx, sq, dq) => `.[${dot ?? idx ?? sq ?? dq}]`);
    return `{{${pre}${path}${post}}}`;
  });
}

/** Paths of plain mustaches outside blocks (inside `#each` the context changes, so those are not pre-checked). */
function topLevelPaths(ast: hbs.AST.Program): string[][] {
  const paths: string[][] = [];
  for (const node of ast.body) {
    if (node.type !== 'MustacheStatement') continue;
    const mustache = node as hbs.AST.MustacheStatement;
    const path = mustache.path as hbs.AST.PathExpression;
    if (path.type === 'PathExpression' && mustache.params.length === 0 && !path.data && path.depth === 0) {
      paths.push(path.parts);
    }
  }
  return paths;
}

function splitPath(path: string): string[] {
  const parts: string[] = [];
  const head = /^[A-Za-z_]\w*/.exec(path)![0];
  parts.push(head);
  const rest = path.slice(head.length);
  const segment = /\.([\w-]+)|\[(\d+)\]|\['([^'\]]*)'\]|\["([^"\]]*)"\]/g;
  let match: RegExpExecArray | null;
  while ((match = segment.exec(rest))) parts.push(match[1] ?? match[2] ?? match[3] ?? match[4]);
  return parts;
}

function lookupPath(vars: Record<string, unknown>, parts: string[], text: string, source: TemplateSource): unknown {
  let current: unknown = vars;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (current === null || typeof current !== 'object' || !Object.prototype.hasOwnProperty.call(current, part)) {
      const name = parts.slice(0, i + 1).join('.');
      throw new PhoenixError('E_UNDEFINED_VAR', `'${name}' is undefined`, {
        pos: source.pos,
        hint: `define '${parts[0]}' (vars, host_vars, group_vars, -e) or guard the task with 'when: ${parts[0]} is defined'; in ${JSON.stringify(text)}${source.what ? ` (${source.what})` : ''}`,
      });
    }
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function stringify(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function firstLine(message: string): string {
  return message.split('\n').slice(0, 3).join(' ').replace(/\s+/g, ' ');
}

handlebars.registerHelper('json', (value: unknown) => JSON.stringify(value));
handlebars.registerHelper('default', (value: unknown, fallback: unknown) => (value === undefined || value === null ? fallback : value));
handlebars.registerHelper('lower', (value: unknown) => String(value).toLowerCase());
handlebars.registerHelper('upper', (value: unknown) => String(value).toUpperCase());
handlebars.registerHelper('join', (value: unknown, sep: unknown) => (Array.isArray(value) ? value.join(typeof sep === 'string' ? sep : ',') : String(value)));
handlebars.registerHelper('eq', (a: unknown, b: unknown) => a === b);
/**
 * `{{regex_replace value pattern replacement...}}`: Jinja's `value | regex_replace(pattern, replacement)` (Python
 * regex syntax and `\\1`/`\\g<name>` references, every match replaced). The replacement is the remaining arguments
 * joined, so a variable can be part of it: `{{regex_replace url '/repos/[^/]+/' '/repos/debian' major '/'}}`.
 * An undefined argument is an error, not the text "undefined".
 */
handlebars.registerHelper('regex_replace', (...args: unknown[]) => {
  const params = args.slice(0, -1);
  if (params.length < 2) throw new Error('regex_replace needs a value, a pattern and a replacement');
  if (params.some((p) => p === undefined || p === null)) {
    throw new Error(`regex_replace: argument ${params.findIndex((p) => p === undefined || p === null) + 1} is undefined`);
  }
  const [value, pattern, ...replacement] = params.map((p) => String(p));
  return pySub(pyRegex(pattern!), replacement.join(''), value!);
});
