#!/usr/bin/env python3
"""Turn one ansible-playbook run into expected.json.

argv: MODE (run|list) RC STDOUT_FILE STDERR_FILE WORKDIR OUT_FILE
run:  the conformance_json callback document -> rc, stats, flat task list.
list: --list-*/--syntax-check text -> rc and stdout lines, with the temp
      working directory replaced by nothing so recordings are stable.
"""
import json
import re
import sys


def host_status(res):
    if res.get('unreachable'):
        return 'unreachable'
    if res.get('failed'):
        return 'failed+ignored' if res.get('_conformance_ignored') else 'failed'
    if res.get('skipped'):
        return 'skipped'
    if res.get('changed'):
        return 'changed'
    return 'ok'


def item_status(res):
    if res.get('unreachable'):
        return 'unreachable'
    if res.get('failed'):
        return 'failed'
    if res.get('skipped'):
        return 'skipped'
    if res.get('changed'):
        return 'changed'
    return 'ok'


def error_line(stderr, workdir):
    for line in stderr.splitlines():
        if line.startswith('ERROR!'):
            return line.replace(workdir + '/', '').replace(workdir, '.')
    for line in stderr.splitlines():
        # argparse reports bad options as "ansible-playbook: error: ..."
        if line.startswith('ansible-playbook: error:'):
            return line
    return None


def run_mode(rc, out, err, workdir):
    doc = {'rc': rc}
    start = out.find('{\n')
    data = json.loads(out[start:]) if start >= 0 else None
    if data is None:
        doc['stats'] = {}
        doc['tasks'] = []
        e = error_line(err, workdir)
        if e:
            doc['error'] = e
        return doc
    keys = (('ok', 'ok'), ('changed', 'changed'), ('unreachable', 'unreachable'),
            ('failed', 'failures'), ('skipped', 'skipped'), ('rescued', 'rescued'),
            ('ignored', 'ignored'))
    doc['stats'] = {h: {k: s.get(src, 0) for k, src in keys}
                    for h, s in sorted(data['stats'].items())}
    tasks = []
    for play in data['plays']:
        for t in play['tasks']:
            entry = {'play': play['play']['name'], 'name': t['task']['name'],
                     'hosts': {h: host_status(r) for h, r in sorted(t['hosts'].items())}}
            items = {h: [item_status(i) for i in r['results']]
                     for h, r in sorted(t['hosts'].items())
                     if isinstance(r.get('results'), list) and r['results']
                     and isinstance(r['results'][0], dict) and 'ansible_loop_var' in r['results'][0]}
            if items:
                entry['items'] = items
            tasks.append(entry)
    doc['tasks'] = tasks
    e = error_line(err, workdir)
    if e and rc != 0:
        doc['error'] = e
    return doc


def sort_host_lists(lines):
    # --list-hosts prints each play's hosts from a Python set: the order changes
    # between runs, so the recording sorts the lines under every "hosts (N):".
    out, i = [], 0
    while i < len(lines):
        out.append(lines[i])
        if re.match(r'^\s*hosts \(\d+\):$', lines[i]):
            depth = len(lines[i]) - len(lines[i].lstrip())
            j = i + 1
            while j < len(lines) and len(lines[j]) - len(lines[j].lstrip()) > depth:
                j += 1
            out.extend(sorted(lines[i + 1:j]))
            i = j
            continue
        i += 1
    return out


def list_mode(rc, out, err, workdir):
    lines = []
    for line in out.splitlines():
        line = line.rstrip().replace(workdir + '/', '').replace(workdir, '.')
        if line.strip():
            lines.append(line)
    doc = {'rc': rc, 'stdout': sort_host_lists(lines)}
    e = error_line(err, workdir)
    if e:
        doc['error'] = e
    return doc


def main():
    mode, rc, out_f, err_f, workdir, dest = sys.argv[1:7]
    out = open(out_f, encoding='utf-8').read()
    err = open(err_f, encoding='utf-8').read()
    fn = run_mode if mode == 'run' else list_mode
    doc = fn(int(rc), out, err, workdir)
    with open(dest, 'w', encoding='utf-8') as f:
        f.write(dumps(doc))


def dumps(doc):
    # One line per host in stats and per task: diffs of recordings stay readable.
    parts = []
    for key, value in doc.items():
        if key in ('stats', 'tasks', 'stdout') and value:
            if isinstance(value, dict):
                rows = ['    %s: %s' % (json.dumps(k), json.dumps(v)) for k, v in value.items()]
                parts.append('  %s: {\n%s\n  }' % (json.dumps(key), ',\n'.join(rows)))
            else:
                rows = ['    ' + json.dumps(v) for v in value]
                parts.append('  %s: [\n%s\n  ]' % (json.dumps(key), ',\n'.join(rows)))
        else:
            parts.append('  %s: %s' % (json.dumps(key), json.dumps(value)))
    return '{\n' + ',\n'.join(parts) + '\n}\n'


if __name__ == "__main__":
    main()
