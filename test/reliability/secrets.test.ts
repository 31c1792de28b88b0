import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../interpreter/cli.js';

/**
 * Secrets never reach any output (README.md here, "Secrets"): values of secrets files (group_vars, vars_files, -e @)
 * and connection passwords are masked everywhere; `no_log` results are censored whole. The CLI runs in-process with
 * human output at -v and -vvv, with --diff, and with --json; every byte it prints is searched for each secret.
 */
const GROUP_SECRET = 'S3cr3t-GroupVars-xyzzy';
const VARS_FILE_SECRET = 'T0ken-VarsFile-plugh';
const EXTRA_SECRET = 'Extra-At-File-frobozz';
const PASSWORD = 'Become-Pass-zork';
const NO_LOG_VALUE = 'NoLog-Literal-grue';
const SECRETS = [GROUP_SECRET, VARS_FILE_SECRET, EXTRA_SECRET, PASSWORD, NO_LOG_VALUE];

const PLAYBOOK = `- hosts: all
  gather_facts: false
  vars_files:
    - vars/app.secrets.yml
  tasks:
    - name: debug shows a secret
      debug:
        msg: "token {{ api_token }} and {{ db.password }}"
    - name: command echoes a secret
      command: echo {{ db.password }} {{ extra_secret }}
      register: echoed
    - name: the registered value is printed again
      debug:
        var: echoed.stdout
    - name: a derived fact keeps the secret
      set_fact:
        copy_of: "pw={{ db.password }}"
    - name: and shows it
      debug:
        msg: "{{ copy_of }}"
    - name: a file with a secret, shown as a diff
      copy:
        dest: "{{ out }}/app.conf"
        content: "password={{ db.password }}\\ntoken={{ api_token }}\\n"
    - name: a secret as loop item and label
      debug:
        msg: "item {{ item }}"
      loop:
        - "{{ db.password }}"
        - plain
      loop_control:
        label: "label {{ item }}"
    - name: a failing command whose argv holds a secret
      command: sh -c "echo failing >&2; exit 3" sh {{ api_token }}
      ignore_errors: true
    - name: fail with a secret in the message
      fail:
        msg: "refused {{ extra_secret }}"
      ignore_errors: true
    - name: no_log hides a literal value
      command: echo ${NO_LOG_VALUE}
      no_log: true
    - name: no_log on a loop hides items and labels
      debug:
        msg: "{{ item }}"
      loop:
        - ${NO_LOG_VALUE}
      no_log: true
    - name: no_log on a failing command hides its argv
      command: sh -c "exit 4" sh ${NO_LOG_VALUE}
      no_log: true
      ignore_errors: true
    - name: a template error quoting a secret value
      debug:
        msg: "{{ ansible_become_password }}"
`;

interface Run {
  code: number;
  output: string;
}

let dir = '';

function setUp(secretNames = true): void {
  dir = mkdtempSync(join(tmpdir(), 'phoenix-secrets-'));
  mkdirSync(join(dir, 'group_vars', 'all'), { recursive: true });
  mkdirSync(join(dir, 'vars'));
  mkdirSync(join(dir, 'out'));
  writeFileSync(join(dir, 'inventory.yml'), `all:\n  hosts:\n    box:\n      ansible_connection: local\n      ansible_become_password: ${PASSWORD}\n  vars:\n    out: ${join(dir, 'out')}\n`);
  writeFileSync(join(dir, 'group_vars', 'all', 'secrets.yml'), `db:\n  user: app\n  password: ${GROUP_SECRET}\n`);
  writeFileSync(join(dir, 'vars', 'app.secrets.yml'), `api_token: ${VARS_FILE_SECRET}\n`);
  writeFileSync(join(dir, 'extra.secrets.yml'), `extra_secret: ${EXTRA_SECRET}\n`);
  writeFileSync(join(dir, 'playbook.yml'), PLAYBOOK);
  if (!secretNames) {
    renameSync(join(dir, 'group_vars', 'all', 'secrets.yml'), join(dir, 'group_vars', 'all', 'plain.yml'));
    renameSync(join(dir, 'vars', 'app.secrets.yml'), join(dir, 'vars', 'app.yml'));
    renameSync(join(dir, 'extra.secrets.yml'), join(dir, 'extra.yml'));
    writeFileSync(join(dir, 'playbook.yml'), PLAYBOOK.replace('app.secrets.yml', 'app.yml'));
  }
}

async function phoenix(args: string[], extra = '@extra.secrets.yml'): Promise<Run> {
  const cwd = process.cwd();
  let output = '';
  const sink = { write: (s: string) => { output += s; } };
  process.chdir(dir);
  try {
    const code = await main(['run', 'playbook.yml', '-i', 'inventory.yml', '-e', extra, ...args], { stdout: sink, stderr: sink });
    return { code, output };
  } finally {
    process.chdir(cwd);
  }
}

function leaks(output: string): string[] {
  return SECRETS.filter((s) => output.includes(s));
}

test.after.each(() => rmSync(dir, { recursive: true, force: true }));

test('control: without secrets files the same run prints the values (the searches below can fail)', async () => {
  setUp(false);
  const run = await phoenix(['-v', '-D'], '@extra.yml');
  assert.is(run.code, 0, run.output);
  for (const value of [GROUP_SECRET, VARS_FILE_SECRET, EXTRA_SECRET]) assert.ok(run.output.includes(value), value);
  assert.not.ok(run.output.includes(NO_LOG_VALUE), 'no_log still hides its own values');
});

for (const args of [[], ['-v'], ['-vvv'], ['-D'], ['-vvv', '-D'], ['--json'], ['--json', '-D', '-vvv'], ['-C', '-D', '-vvv']]) {
  test(`no secret in the output of phoenix run ${args.join(' ')}`, async () => {
    setUp();
    const run = await phoenix(args);
    assert.is(run.code, 0, run.output);
    assert.equal(leaks(run.output), [], run.output);
    if (args.includes('--json')) JSON.parse(run.output);
    if (!args.includes('-C')) {
      const written = readFileSync(join(dir, 'out', 'app.conf'), 'utf8');
      assert.is(written, `password=${GROUP_SECRET}\ntoken=${VARS_FILE_SECRET}\n`, 'the secret itself was used');
    }
  });
}

test('a run that fails on a secret-bearing command keeps it out of the fatal line and the error exit', async () => {
  setUp();
  writeFileSync(join(dir, 'playbook.yml'), `- hosts: all
  gather_facts: false
  tasks:
    - command: sh -c "echo {{ db.password }} >&2; exit 7" sh {{ db.password }}
`);
  for (const args of [['-vvv'], ['--json']]) {
    const run = await phoenix(args);
    assert.is(run.code, 2, run.output);
    assert.equal(leaks(run.output), [], run.output);
    if (args.includes('-vvv')) assert.ok(run.output.includes('********'), 'the mask shows where the secret was');
  }
});

test.run();
