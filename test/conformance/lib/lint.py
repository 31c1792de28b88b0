#!/usr/bin/env python3
"""Check that every case stays inside what phoenix can run unchanged.

Usage: /usr/bin/python3 test/conformance/lib/lint.py   (exit 1 on any problem)
Checks: case.json shape; gather_facts: false in every play; only the agreed
modules; every {{ }} in YAML and templates is a plain variable path; no {{ }}
inside conditions; written paths are under the case dir or /tmp/phoenix-conf.
"""
import glob
import json
import os
import re
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(os.path.dirname(HERE), 'cases')
MODULES = {'command', 'shell', 'copy', 'template', 'file', 'lineinfile', 'stat', 'debug',
           'assert', 'set_fact', 'fail', 'wait_for', 'meta', 'include_tasks', 'import_tasks'}
TASK_KEYS = {'name', 'args', 'when', 'register', 'loop', 'loop_control', 'changed_when',
             'failed_when', 'ignore_errors', 'until', 'retries', 'delay', 'notify', 'tags',
             'check_mode', 'diff', 'run_once', 'delegate_to', 'no_log', 'vars', 'listen',
             'environment', 'block', 'rescue', 'always', 'become'}
CONDITIONS = ('when', 'changed_when', 'failed_when', 'until')
PLAIN = re.compile(r'\{\{\s*[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\s*\}\}')
ARGS = {'description', 'args', 'features', 'note', 'phoenix_args'}
problems = []
SYNTAX_CASES = set()  # cases whose features include "syntax": errors are the point


def bad(case, msg):
    problems.append('%s: %s' % (case, msg))


def check_templates(case, text, where):
    for m in re.finditer(r'\{\{.*?\}\}', text):
        if not PLAIN.fullmatch(m.group(0)):
            bad(case, '%s: template is not a plain path: %s' % (where, m.group(0)))
    if '{%' in text:
        bad(case, '%s: Jinja statement' % where)


def check_task(case, task, where):
    if not isinstance(task, dict):
        return
    for key in ('block', 'rescue', 'always'):
        for t in task.get(key) or []:
            check_task(case, t, where)
    if 'block' in task:
        return
    modules = [k for k in task if k not in TASK_KEYS]
    if len(modules) == 1 and modules[0] not in MODULES and case not in SYNTAX_CASES:
        bad(case, '%s: module %s not in the agreed list' % (where, modules[0]))
    for key in CONDITIONS:
        if '{{' in str(task.get(key, '')):
            bad(case, '%s: {{ }} inside %s' % (where, key))
    if 'assert' in task and '{{' in str(task['assert'].get('that', '')):
        bad(case, '%s: {{ }} inside assert.that' % where)


def check_case(path):
    case = os.path.basename(path)
    try:
        meta = json.load(open(os.path.join(path, 'case.json')))
    except (OSError, ValueError) as e:
        bad(case, 'case.json: %s' % e)
        return
    if set(meta) - ARGS or not {'description', 'args', 'features'} <= set(meta):
        bad(case, 'case.json keys %s' % sorted(meta))
    if 'syntax' in meta.get('features', []):
        SYNTAX_CASES.add(case)
    if '-i' in meta.get('args', []) or '--inventory' in meta.get('args', []):
        bad(case, 'case.json args must not name an inventory')
    if not os.path.exists(os.path.join(path, 'expected.json')):
        bad(case, 'not recorded (no expected.json)')
    for f in sorted(glob.glob(os.path.join(path, '**', '*'), recursive=True)):
        if os.path.isdir(f) or f.endswith('.json'):
            continue
        rel = os.path.relpath(f, path)
        text = open(f, encoding='utf-8').read()
        check_templates(case, text, rel)
        for m in re.finditer(r'(?:dest|path):\s*"?(/[^"\s]*)', text):
            if not m.group(1).startswith('/tmp/phoenix-conf/'):
                bad(case, '%s: writes outside the case dir: %s' % (rel, m.group(1)))
        if not f.endswith(('.yml', '.yaml')) or rel == 'inventory.yml':
            continue
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError:
            continue  # a case about YAML errors
        if rel == 'playbook.yml' and isinstance(doc, list):
            for play in doc:
                if isinstance(play, dict) and 'hosts' in play:
                    if play.get('gather_facts') is not False:
                        bad(case, 'play %r lacks gather_facts: false' % play.get('name'))
                    for sec in ('pre_tasks', 'tasks', 'post_tasks', 'handlers'):
                        for t in play.get(sec) or []:
                            check_task(case, t, rel)
        elif isinstance(doc, list) and rel.count('/') == 0:
            for t in doc:
                check_task(case, t, rel)


def main():
    dirs = sorted(d for d in glob.glob(os.path.join(CASES, '*')) if os.path.isdir(d))
    for d in dirs:
        check_case(d)
    for p in problems:
        print(p)
    print('%d cases, %d problems' % (len(dirs), len(problems)))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
