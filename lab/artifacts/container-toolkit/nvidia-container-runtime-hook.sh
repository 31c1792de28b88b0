#!/bin/sh
# Stand-in nvidia-container-runtime-hook @VERSION@ (phoenix lab). Docker registers its GPU device driver (--gpus)
# only when this is on dockerd's PATH, and runs `... prestart` before the container starts; like the real hook it
# reads /etc/nvidia-container-runtime/config.toml ([nvidia-container-cli] no-cgroups) and hands over to
# nvidia-container-cli configure. PHOENIX_LAB_ROOT prefixes the config's path (tests).
CONFIG="${PHOENIX_LAB_ROOT:-}/etc/nvidia-container-runtime/config.toml"

# `no-cgroups = true`, uncommented, in the [nvidia-container-cli] table.
no_cgroups() {
    [ -f "$CONFIG" ] && awk '
        /^[[:space:]]*\[/ { table = $0; gsub(/[[:space:]]/, "", table); next }
        table == "[nvidia-container-cli]" && /^[[:space:]]*no-cgroups[[:space:]]*=[[:space:]]*true[[:space:]]*$/ { found = 1 }
        END { exit found ? 0 : 1 }' "$CONFIG"
}

case "${1:-}" in
    prestart) ;;
    poststart|poststop) exit 0 ;;
    -version|--version) echo "NVIDIA Container Runtime Hook version @VERSION@"; exit 0 ;;
    *) echo "Usage: nvidia-container-runtime-hook [-version] [-debug] {prestart|poststart|poststop}" >&2; exit 2 ;;
esac
echo "Auto-detected mode as 'legacy'" >&2
set -- --load-kmods
no_cgroups && set -- "$@" --no-cgroups
exec nvidia-container-cli "$@" configure --ldconfig=@/sbin/ldconfig --device="${NVIDIA_VISIBLE_DEVICES:-all}" --compute --utility --pid=$$ /
