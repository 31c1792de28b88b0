#!/usr/bin/env bash
# Records real ansible-playbook output (Debian's ansible-core) for the reporters' golden tests.
# The playbooks live in fixtures/ansible/; the recorded text goes next to them as *.txt.
# Volatile values (times, Ansible's temporary paths) are replaced by fixed ones the tests use too.
# Run from anywhere: test/interpreter/report/record.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir="$here/fixtures/ansible"
work=/tmp/phoenix-report-record
export ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_RETRY_FILES_ENABLED=False ANSIBLE_FORKS=1 ANSIBLE_NOCOWS=1

normalize() {
  sed -E \
    -e 's/"delta": "[^"]*"/"delta": "0:00:00.001000"/g' \
    -e 's/"(start|end)": "[^"]*"/"\1": "2026-01-01 00:00:00.000000"/g' \
    -e "s#\"src\": \"/root/\\.ansible/tmp/[^\"]*\"#\"src\": \"$work/source\"#g" \
    -e "s#\\+\\+\\+ after: /root/\\.ansible/tmp/[^ [:cntrl:]]*#+++ after: $work/out.conf#" \
    -e '/^No config file found; using defaults$/d'
}

play() { # name, playbook, extra ansible-playbook arguments...
  local name=$1 book=$2; shift 2
  rm -rf "$work" && mkdir -p "$work"
  (cd "$dir" && ansible-playbook -i inventory.yml "$book" "$@" 2>"$work/stderr" || true) | normalize >"$dir/$name.txt"
  normalize <"$work/stderr" >"$dir/$name.stderr.txt"
}

ANSIBLE_NOCOLOR=1 play run run.yml
ANSIBLE_FORCE_COLOR=1 play run.color run.yml
ANSIBLE_NOCOLOR=1 play diff diff.yml --diff
ANSIBLE_FORCE_COLOR=1 play diff.color diff.yml --diff
ANSIBLE_NOCOLOR=1 play diff.v diff.yml -v
ANSIBLE_NOCOLOR=1 play warning warning.yml
find "$dir" -name '*.stderr.txt' -empty -delete
rm -rf "$work"
