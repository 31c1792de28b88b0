#!/usr/bin/env bash
# Record expected.json for conformance cases with the real ansible-playbook.
# Usage: test/conformance/record.sh [case-dir-name...]   (default: every case)
# Each case runs in a fresh temporary copy of its directory, so files a
# playbook writes never leak between runs or into the repository.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cases_dir="$here/cases"

export ANSIBLE_NOCOLOR=1
export ANSIBLE_FORCE_COLOR=0
export ANSIBLE_RETRY_FILES_ENABLED=False
export ANSIBLE_HOST_KEY_CHECKING=False
export ANSIBLE_CALLBACK_PLUGINS="$here/lib/callback"
export ANSIBLE_DEPRECATION_WARNINGS=False
export ANSIBLE_LOCALHOST_WARNING=False
export ANSIBLE_INVENTORY_UNPARSED_WARNING=False
export ANSIBLE_CONFIG="$here/lib/ansible.cfg"
unset ANSIBLE_STDOUT_CALLBACK ANSIBLE_INVENTORY ANSIBLE_VAULT_PASSWORD_FILE || true

if [ "$#" -gt 0 ]; then
  names=("$@")
else
  mapfile -t names < <(cd "$cases_dir" && ls -d */ | sed 's#/$##' | sort)
fi

failures=0
for name in "${names[@]}"; do
  name="${name%/}"; name="${name##*/}"
  src="$cases_dir/$name"
  if [ ! -f "$src/case.json" ]; then echo "no such case: $name" >&2; failures=1; continue; fi
  work="$(mktemp -d /tmp/phoenix-conf-case.XXXXXX)"
  cp -a "$src/." "$work/"
  rm -f "$work/expected.json"
  mapfile -t args < <(python3 -c 'import json,sys; [print(a) for a in json.load(open(sys.argv[1])).get("args", [])]' "$src/case.json")
  mode=run
  for a in "${args[@]}"; do
    case "$a" in --list-hosts|--list-tasks|--list-tags|--syntax-check) mode=list ;; esac
  done
  if [ "$mode" = run ]; then cb=conformance_json; else cb=default; fi
  set +e
  (cd "$work" && ANSIBLE_STDOUT_CALLBACK=$cb timeout 120 \
     ansible-playbook -i inventory.yml "${args[@]}" playbook.yml >"$work/.stdout" 2>"$work/.stderr")
  rc=$?
  set -e
  python3 "$here/lib/normalise.py" "$mode" "$rc" "$work/.stdout" "$work/.stderr" "$work" "$src/expected.json"
  printf '%-40s rc=%s\n' "$name" "$rc"
  rm -rf "$work"
  rm -rf /tmp/phoenix-conf
done
# Constraints phoenix relies on (plain {{ }} paths, agreed modules, gather_facts: false...).
/usr/bin/python3 "$here/lib/lint.py" || failures=1
exit "$failures"
