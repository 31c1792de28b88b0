#!/bin/sh
# Re-records the expected outputs under fixtures/expected/ from the real ansible-core
# (Debian package ansible-core, 2.14). Run from anywhere: sh test/interpreter/inventory/record.sh
# The inventory tests compare phoenix against these files, so re-run this after changing a fixture.
set -eu
cd "$(dirname "$0")/fixtures"
export ANSIBLE_CONFIG=/nonexistent ANSIBLE_HOST_PATTERN_MISMATCH=ignore ANSIBLE_NOCOLOR=1 \
  ANSIBLE_DEPRECATION_WARNINGS=0 ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_INVENTORY_UNPARSED_WARNING=0
out=expected
# The Python that runs ansible (its modules are used below), not whatever python3 comes first in PATH.
ansible_python=$(sed -n '1s/^#! *//p' "$(command -v ansible)")
mkdir -p "$out"
ansible --version | sed -n 1p > "$out/ansible-version.txt"

ansible-inventory -i lab/hosts.yml --list > "$out/lab.list.json"
ansible-inventory -i lab/hosts.yml --graph > "$out/lab.graph.txt"
ansible-inventory -i lab/hosts.yml --graph lxc > "$out/lab.graph-lxc.txt"
ansible-inventory -i lab/hosts.yml --host pve1 > "$out/lab.host-pve1.json"
ansible-inventory -i vars/inventory/hosts.yml --list > "$out/vars.list.json"
ansible-inventory -i vars/inventory/hosts.yml --playbook-dir vars/playbook --list > "$out/vars-playbook.list.json"
ansible-inventory -i vars/inventory/hosts.yml --playbook-dir vars/playbook --host h1 > "$out/vars-playbook.host-h1.json"
ansible-inventory -i multi --list > "$out/multi.list.json"
ansible-inventory -i multi --graph > "$out/multi.graph.txt"
ansible-inventory -i lab/hosts.yml -i multi/20-containers.yaml --list > "$out/two-sources.list.json"
ansible-inventory -i string-sections.yml --graph > "$out/string-sections.graph.txt"
ansible-inventory -i ranges.yml --list > "$out/ranges.list.json"
ansible-inventory -i merge.yml --list > "$out/merge.list.json"

# Host patterns: one JSON object {"PATTERN" or "PATTERN<TAB>LIMIT": [hosts in ansible's order]}.
# `ansible PATTERN --list-hosts` prints "  hosts (N):" then one host per line.
{
  printf '{\n'
  sep=''
  grep -v '^#' patterns.txt | while IFS='	' read -r pattern limit; do
    [ -n "$pattern" ] || continue
    if [ -n "${limit:-}" ]; then
      hosts=$(ansible -i lab/hosts.yml "$pattern" --limit "$limit" --list-hosts 2>/dev/null | tail -n +2)
      key="$pattern	$limit"
    else
      hosts=$(ansible -i lab/hosts.yml "$pattern" --list-hosts 2>/dev/null | tail -n +2)
      key="$pattern"
    fi
    list=$(printf '%s\n' "$hosts" | sed -n 's/^ *\(..*\)$/"\1"/p' | paste -sd, -)
    printf '%s  %s: [%s]' "$sep" "$(printf '%s' "$key" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')" "$list"
    sep=',
'
  done
  printf '\n}\n'
} > "$out/patterns.json"
python3 -m json.tool "$out/patterns.json" > /dev/null

# ansible-playbook --list-hosts: a play whose hosts: is a YAML list, with and without --limit (it prints a set: sorted here).
for limit in '' 'ct9*:pve2'; do
  if [ -n "$limit" ]; then set -- --limit "$limit"; else set --; fi
  ansible-playbook -i lab/hosts.yml play/list-hosts.yml --list-hosts "$@" 2>/dev/null \
    | sed -n 's/^      \(..*\)$/\1/p' | sort > "$out/play-list-hosts${limit:+.limit}.txt"
done

# Magic variables from the inventory, and the implicit localhost (connection local, all's vars).
ANSIBLE_LOAD_CALLBACK_PLUGINS=1 ANSIBLE_STDOUT_CALLBACK=json ansible -i lab/hosts.yml 'all:localhost' -m debug \
  -a 'msg={{ {"group_names": group_names, "inventory_hostname_short": inventory_hostname_short, "groups": groups, "site": site | default(None), "connection": hostvars[inventory_hostname].ansible_connection | default(None)} }}' 2>/dev/null \
  | python3 -c 'import json, sys
tasks = json.load(sys.stdin)["plays"][0]["tasks"][0]["hosts"]
print(json.dumps({host: result["msg"] for host, result in tasks.items()}, indent=1, sort_keys=True))' > "$out/lab.magic.json"

# Python's fnmatch (what ansible uses for globs) on names with dots, slashes, brackets: fnmatch.test.ts replays it.
python3 - > "$out/fnmatch.json" <<'PY'
import fnmatch, json, re
names = ['ct900', 'ct9', 'web1.example.com', 'a/b', '[x]', 'x!', '!x', 'a-b', 'A1', 'a]', '^a', '.hidden', 'a\\b']
patterns = ['*', 'ct9*', 'ct9?0', '*.example.com', 'a*b', '[!c]*', '[a-c]*', '[[]x]', '[]]', 'a]', '[!]]*', '[^a]',
            'x[!]', '[', 'a[', '[A-Z]1', '[!a-z]*', '*[!0-9]', '.*', 'a\\b', 'a[\\]b', 'a[-]b', '[]-a]*', '**', '?']
print(json.dumps({p: [n for n in names if re.match(fnmatch.translate(p), n)] for p in patterns}, indent=1))
PY

# ansible-core's parse_address (allow_ranges): decides whether a pattern is one address or splits at ':'.
$ansible_python - > "$out/addresses.json" <<'PY'
import json
from ansible.parsing.utils.addresses import parse_address
samples = ['a:', ':a', 'a::b', 'web::db', '::1', 'fe80::1', '2001:db8::1', '::ffff:1.2.3.4', '1:2:3:4:5:6:7:8', 'pve1:22',
           '[::1]:22', '[pve1]:22', 'web[1:3]', 'web[01:10:2].example.com', 'db-[a:c]', 'web-', '_x', 'a_b-c.d', '10.0.0.5',
           '10.0.[1:2].1', '300.1.1.1', 'lxc:&gpu', 'gpu:proxmox', 'ct9*', '~x', 'pve1:pve2', 'host name']
out = {}
for s in samples:
    try:
        host, port = parse_address(s, allow_ranges=True)
        out[s] = {'host': host, 'port': port}
    except Exception:
        out[s] = None
print(json.dumps(out, indent=1))
PY
