#!/bin/sh
# Stand-in nvidia-container-runtime @VERSION@ (phoenix lab): the runtime Docker's daemon.json names. The stand-in
# docker runs the hook itself, so this only answers --version.
case "${1:-}" in
    --version|-v) printf 'NVIDIA Container Runtime version @VERSION@\ncommit: 0000000000000000000000000000000000000000\nspec: 1.2.0\n' ;;
    *) echo "nvidia-container-runtime (phoenix lab stand-in): only --version is implemented" >&2; exit 1 ;;
esac
