#!/bin/sh
# What one command in a container costs on a node, two ways (bench/RESULTS.md, issue 15):
#   A: N separate `pct exec VMID -- sh -c CMD` (what phoenix's pct connection does per command today)
#   B: ONE `pct exec VMID -- sh` reading the same N commands on stdin (a long-lived shell per container)
# Run on the node (e.g. over the lab's ssh):  sh pct-exec-cost.sh VMID [N]   -> prints ms per command for A and B.
set -eu
vmid=$1
n=${2:-30}
cmd='dpkg-query -W -f="\${Status}" cuda-toolkit-12-8 >/dev/null'
now() { date +%s%N; }
start=$(now)
i=0
while [ "$i" -lt "$n" ]; do pct exec "$vmid" -- sh -c "$cmd"; i=$((i + 1)); done
a=$(( ($(now) - start) / n / 1000 ))
start=$(now)
i=0
{ while [ "$i" -lt "$n" ]; do echo "$cmd; echo rc=\$?"; i=$((i + 1)); done; } | pct exec "$vmid" -- sh >/dev/null
b=$(( ($(now) - start) / n / 1000 ))
echo "vmid $vmid, $n commands: separate pct exec $((a / 1000)).$(( (a % 1000) / 100 )) ms each; one shell $((b / 1000)).$(( (b % 1000) / 100 )) ms each"
