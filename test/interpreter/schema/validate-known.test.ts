import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../../interpreter/cli.js';
import { ErrorList } from '../../../interpreter/errors.js';
import { loadPlaybook } from '../../../interpreter/playbook/load.js';
import { validateKnown, validateWithSchema } from '../../../interpreter/schema/validate.js';
import { isTemplated } from '../../../interpreter/vars/template.js';
import { findModule } from '../../../modules/registry.js';

/** Load-time checking of literal module arguments beside templated ones (issue 11, point 6). */
const templated = (_path: readonly string[], value: unknown) => typeof value === 'string' && isTemplated(value);

function known(module: string, args: Record<string, unknown>): string[] {
  return validateKnown(findModule(module)!.schema, args, templated).map((p) => `${p.path.join('.') || '.'}: ${p.message}`);
}

test('a templated value is not judged; its literal sibling is', () => {
  assert.equal(known('lxc_conf', { vmid: '{{ ctid }}', gpu_assignment: '0,1' }), []);
  const [problem] = known('lxc_conf', { vmid: '{{ ctid }}', gpu_assignment: '0,x' });
  assert.match(problem, /^gpu_assignment: gpu_assignment must be "none" or GPU indexes separated by commas.*\(got "0,x"\)$/);
  assert.equal(known('pct', { vmid: 99, ostemplate: '{{ template }}' }), ['vmid: vmid must be a Proxmox CT id from 100 to 999999999 (got 99)']);
  // A templated string where a number, an enum or a pattern is asked for is left to the rendered value.
  assert.equal(known('pct', { vmid: '{{ ctid }}', state: '{{ wanted }}', timeout: '{{ t }}', snapshot: 'x{{ n }}' }), []);
});

test('a templated value satisfies required', () => {
  assert.equal(known('copy', { src: '{{ file }}', dest: '{{ dest }}' }), []);
  assert.equal(known('nvidia_run', { mode: '{{ mode }}', version: '{{ version }}' }), []);
  assert.equal(known('file', { dest: '{{ path }}', state: 'absent' }), [], 'through an alias too');
  assert.equal(known('nvidia_run', { mode: '{{ mode }}' }), [".: missing required parameter 'version'"]);
});

test('templated values nested in an object or a list', () => {
  assert.equal(known('pct', { vmid: 902, options: { hostname: '{{ inventory_hostname }}', memory: 2048 }, timeout: 0 }), ['timeout: timeout must be >= 1']);
  assert.equal(known('pct', { vmid: 902, options: { hostname: '{{ inventory_hostname }}', net0: { bad: 1 } } }).length, 1, 'a literal inside the same object is judged');
  assert.equal(known('lxc_conf', { vmid: 901, gpu_assignment: ['{{ first }}', 1] }), []);
  assert.equal(known('lxc_conf', { vmid: 901, gpu_assignment: ['{{ first }}', -1] }), ['gpu_assignment.1: gpu_assignment.1 must be >= 0']);
  assert.equal(known('apt', { name: ['curl', '{{ extra }}', 'bad name!'] }).length, 1);
});

test('a rule between arguments is judged when its arguments are literal, and left alone when one is templated', () => {
  assert.equal(known('copy', { src: 'a', content: 'b', dest: '/x' }), ['.: parameters are mutually exclusive: src|content']);
  // The template may render to null, which unsets the argument: the exclusion cannot be decided now.
  assert.equal(known('copy', { src: '{{ a }}', content: 'b', dest: '/x' }), []);
  assert.equal(known('copy', { src: 'a', content: 'b', dest: '{{ d }}' }), ['.: parameters are mutually exclusive: src|content'], 'an unrelated template does not hide it');
  // A condition on a templated value (if state is absent ...) is not decided either way.
  assert.equal(known('lxc_conf', { vmid: 901, state: '{{ s }}' }), []);
  assert.match(known('lxc_conf', { vmid: 901 })[0], /gpu_assignment is required with state present/);
  assert.equal(known('lxc_conf', { vmid: 901, state: 'absent' }), []);
  assert.equal(known('file', { path: '/x', recurse: true, state: '{{ s }}' }), []);
  assert.equal(known('file', { path: '/x', recurse: true, state: 'file' }), ["state: recurse option requires state to be 'directory'"]);
  assert.equal(known('pct', { vmid: 902, snapname: 'base', clone_from: '{{ parent }}' }), []);
  assert.equal(known('pct', { vmid: 902, snapname: 'base' }), ['.: snapname names the snapshot of clone_from to clone: it needs clone_from']);
  // A list whose items are templates still has its length: argv beside cmd is decided.
  assert.equal(known('command', { cmd: 'ls', argv: ['ls', '{{ dir }}'] }), ['.: only command or argv can be given, not both']);
  assert.equal(known('nvidia_run', { mode: 'host', version: '580.76.05', sha256: 'auto', url: '{{ url }}' }), []);
});

test('a broken rule names the argument to point at: the last one written of those it names', () => {
  const [problem] = validateKnown(findModule('copy')!.schema, { src: 'a', dest: '/x', content: 'b' }, templated);
  assert.equal(problem.at, ['content']);
  const [missing] = validateKnown(findModule('lxc_conf')!.schema, { vmid: 901 }, templated);
  assert.is(missing.at, undefined, 'none of its arguments is written: the module itself');
});

test('the arguments are left as written (coercion and defaults work on a copy)', () => {
  const args = { vmid: '901', timeout: '{{ t }}' };
  validateKnown(findModule('pct')!.schema, args, templated);
  assert.equal(args, { vmid: '901', timeout: '{{ t }}' });
});

test('the run-time check of rendered values uses the same schema and words', () => {
  const rendered = { vmid: 901, gpu_assignment: '0,x' };
  const atRun = validateWithSchema(findModule('lxc_conf')!.schema, rendered).map((p) => p.message);
  const atLoad = validateKnown(findModule('lxc_conf')!.schema, rendered, templated).map((p) => p.message);
  assert.equal(atRun, atLoad);
});

function withPlaybook(text: string, run: (dir: string) => Promise<void> | void): Promise<void> | void {
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-known-'));
  writeFileSync(join(dir, 'site.yml'), text);
  writeFileSync(join(dir, 'inventory.yml'), 'all:\n  hosts:\n    local:\n      ansible_connection: local\n');
  const done = () => rmSync(dir, { recursive: true, force: true });
  try {
    const result = run(dir);
    if (result instanceof Promise) return result.finally(done);
    done();
  } catch (error) {
    done();
    throw error;
  }
}

test('load: every bad literal of the playbook at once, at the line and column of its argument', () => withPlaybook(`
- hosts: all
  vars: { ctid: 901 }
  tasks:
    - command: "true"
    - lxc_conf:
        vmid: "{{ ctid }}"
        gpu_assignment: "0,x"
    - file: { path: "/srv/{{ ctid }}", mode: "0999", state: directory }
    - pct:
        vmid: 902
        options:
          hostname: "{{ inventory_hostname }}"
          cores: [1]
    - copy: { src: a, content: b, dest: /x }
`, (dir) => {
  const errors = new ErrorList();
  loadPlaybook(join(dir, 'site.yml'), errors);
  const got = errors.errors.map((e) => `${e.code} ${e.pos?.line}:${e.pos?.column}`);
  // A broken rule between arguments points at the last of them written (content, not src).
  assert.equal(got, ['E_MODULE_ARGS 8:9', 'E_MODULE_ARGS 9:40', 'E_MODULE_ARGS 14:11', 'E_MODULE_ARGS 15:23']);
}));

test('run: a templated value that renders to a bad one fails its task with the schema\'s words', () => withPlaybook(`
- hosts: all
  gather_facts: false
  vars: { wanted: "0,x" }
  tasks:
    - debug: { msg: "{{ wanted }}", verbosity: "{{ wanted }}" }
`, async (dir) => {
  let out = '';
  const sink = { write: (s: string) => { out += s; } };
  const code = await main(['run', join(dir, 'site.yml'), '-i', join(dir, 'inventory.yml')], { stdout: sink, stderr: sink });
  assert.is(code, 2, out);
  assert.match(out, /debug: verbosity must be integer/);
}));

test.run();
