# Sourced by the real-GPU scripts (gpu-host-check.sh, gpu-compute-check.sh): prints the path of a Node >= 20, the
# machine's own, else the compressed one `gpu-host-check.sh pack` carried (.gpu-carry/node.xz under the current
# directory, the repository root), unpacked into /tmp/phoenix-node. A GPU host of the device tool has no Node.
find_node() {
  if command -v node >/dev/null && node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; then
    command -v node
    return
  fi
  [ -s .gpu-carry/node.xz ] || { echo "no Node >= 20 here and no .gpu-carry/node.xz (run: $0 pack, then carry .gpu-carry)" >&2; exit 2; }
  mkdir -p /tmp/phoenix-node
  xz -dc .gpu-carry/node.xz >/tmp/phoenix-node/node
  chmod +x /tmp/phoenix-node/node
  echo /tmp/phoenix-node/node
}
