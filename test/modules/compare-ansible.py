#!/usr/bin/env python3
"""Runs the data cases of test/modules/<module>/<case>.json under ansible-playbook and compares the status and the
expected files with what Ansible does. A developer tool (needs ansible-core), not part of `npm test`:

    python3 test/modules/compare-ansible.py [substring-of-case-path ...]
"""
import json, os, subprocess, sys, tempfile, pathlib

ROOT = pathlib.Path(__file__).resolve().parent


def create(base, files):
    for name, spec in (files or {}).items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(spec, str):
            path.write_text(spec)
        elif spec.get('link') is not None:
            os.symlink(spec['link'], path)
        elif spec.get('dir'):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.write_text(spec.get('content', ''))
        if not isinstance(spec, str) and spec.get('mode'):
            os.chmod(path, int(spec['mode'], 8))


def status_of(result):
    if result.get('failed'):
        return 'failed'
    if result.get('skipped'):
        return 'skipped'
    return 'changed' if result.get('changed') else 'ok'


def check_files(base, files):
    problems = []
    for name, spec in (files or {}).items():
        path = base / name
        exists = os.path.lexists(path)
        if spec is None:
            if exists:
                problems.append(f'{name} exists')
            continue
        if not exists:
            problems.append(f'{name} missing')
            continue
        if isinstance(spec, str):
            spec = {'content': spec}
        if 'content' in spec and (os.path.islink(path) or path.read_text() != spec['content']):
            problems.append(f'{name} content {path.read_text()!r} != {spec["content"]!r}')
        if spec.get('mode') and (os.lstat(path).st_mode & 0o7777) != int(spec['mode'], 8):
            problems.append(f'{name} mode {oct(os.lstat(path).st_mode & 0o7777)} != {spec["mode"]}')
        if spec.get('link') is not None:
            target = os.readlink(path) if os.path.islink(path) else None
            if target != spec['link']:
                problems.append(f'{name} link {target} != {spec["link"]}')
    return problems


def run_case(module, case_path):
    text = case_path.read_text()
    with tempfile.TemporaryDirectory() as tmp:
        case = json.loads(text.replace('@DIR@', tmp))
        base = pathlib.Path(tmp)
        create(base, case.get('files'))
        create(base / '.controller', case.get('controller'))
        (base / '.controller').mkdir(exist_ok=True)
        play = [{'hosts': 'localhost', 'gather_facts': False, 'vars': case.get('vars', {}),
                 'tasks': [{'name': 't', module: case['args'], 'register': 'r', 'ignore_errors': True}]}]
        book = base / '.controller' / 'play.yml'
        book.write_text(json.dumps(play))
        cmd = ['ansible-playbook', '-i', 'localhost,', '-c', 'local', str(book)]
        if case.get('check'):
            cmd.append('--check')
        env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK='json', ANSIBLE_LOCALHOST_WARNING='false')
        out = subprocess.run(cmd, capture_output=True, text=True, env=env)
        doc = json.loads(out.stdout)
        result = doc['plays'][0]['tasks'][0]['hosts']['localhost']
        want = case['expect']
        problems = []
        if status_of(result) != want['status']:
            problems.append(f"status {status_of(result)} != {want['status']} ({result.get('msg')})")
        if want.get('msg') and want['status'] == 'failed' and result.get('msg') != want['msg']:
            problems.append(f"msg {result.get('msg')!r} != {want['msg']!r}")
        if not case.get('check'):
            problems += check_files(base, want.get('files'))
        return problems


def main():
    filters = sys.argv[1:]
    failures = 0
    generic = ['command', 'copy', 'file', 'lineinfile', 'shell', 'stat', 'template']
    for module_dir in [ROOT / name for name in generic if (ROOT / name).is_dir()]:
        for case_path in sorted(module_dir.glob('*.json')):
            label = f'{module_dir.name}/{case_path.name}'
            if filters and not any(f in label for f in filters):
                continue
            problems = run_case(module_dir.name, case_path)
            print(('ok    ' if not problems else 'DIFF  ') + label + ('' if not problems else ': ' + '; '.join(problems)))
            failures += bool(problems)
    sys.exit(1 if failures else 0)


main()
