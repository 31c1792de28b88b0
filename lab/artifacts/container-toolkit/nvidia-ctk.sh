#!/bin/sh
# Stand-in nvidia-ctk @VERSION@ (phoenix lab): the version only. phoenix writes Docker's runtime entry itself
# (json_file), exactly as `nvidia-ctk runtime configure --runtime=docker` does.
case "${1:-}" in
    --version|-v|version)
        printf 'NVIDIA Container Toolkit CLI version @VERSION@\ncommit: 0000000000000000000000000000000000000000\n' ;;
    *) echo "nvidia-ctk (phoenix lab stand-in): only --version is implemented" >&2; exit 1 ;;
esac
