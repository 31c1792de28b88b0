#!/bin/sh
# Stand-in docker CLI @VERSION@ (phoenix lab; lab/artifacts/docker/). No daemon runs in the lab's containers (no
# systemd): each command decides from the files a restarted dockerd would read, with Docker's own messages.
#   docker --version
#   docker image inspect [--format F] IMAGE...   the local store: $ROOT/var/lib/docker/stand-in-images/<ref>/
#   docker images
#   docker import FILE|- REPOSITORY[:TAG]        adds an image to the store (its id = sha256 of the tarball;
#                                                the tarball itself is not kept)
#   docker run [--rm] [--pull P] [--gpus G] [--runtime R] [-e X] [--name N] [-i] [-t] IMAGE [COMMAND [ARG...]]
#       image not in the store: --pull=never -> No such image: REF. (125); else a pull, which fails (no registry)
#       --runtime R not in /etc/docker/daemon.json "runtimes"  -> unknown or invalid runtime name (125)
#       --gpus without nvidia-container-runtime-hook on PATH  -> could not select device driver (125)
#       --gpus: the hook's prestart fails (no libnvidia-ml.so.1; device rules in a container without
#               no-cgroups = true)                            -> OCI runtime create failed ... (125)
#       then COMMAND runs here, in the LXC container, as the toolkit would inject its driver user space
#       (nvidia-smi); without --gpus an nvidia-* command is not in the image -> executable file not found (127)
#   anything else: "Cannot connect to the Docker daemon" (1)
# PHOENIX_LAB_ROOT prefixes every path (tests).
ROOT="${PHOENIX_LAB_ROOT:-}"
IMAGES="$ROOT/var/lib/docker/stand-in-images"
DAEMON_JSON="$ROOT/etc/docker/daemon.json"

daemon_error() { # message [exit code]
    printf 'docker: Error response from daemon: %s\n\nRun '\''docker run --help'\'' for more information\n' "$1" >&2
    exit "${2:-125}"
}

# `cuda` -> `cuda:latest`, as Docker normalizes a reference without tag or digest; '/' cannot be in a file name.
image_dir() {
    ref="$(normalized "$1")" name=""
    while :; do case "$ref" in */*) name="$name${ref%%/*}+"; ref="${ref#*/}" ;; *) break ;; esac; done
    printf '%s/%s' "$IMAGES" "$name$ref"
}

normalized() {
    case "${1##*/}" in *:*|*@*) printf '%s' "$1" ;; *) printf '%s:latest' "$1" ;; esac
}

image_inspect() {
    format=""
    while [ $# -gt 0 ]; do
        case "$1" in
            --format|-f) format="$2"; shift 2 ;;
            --format=*) format="${1#--format=}"; shift ;;
            *) break ;;
        esac
    done
    [ $# -gt 0 ] || { echo '"docker image inspect" requires at least 1 argument.' >&2; exit 1; }
    missing=""; out=""
    for ref in "$@"; do
        dir="$(image_dir "$ref")"
        if [ ! -f "$dir/id" ]; then missing="$ref"; continue; fi
        id="$(cat "$dir/id")"
        case "$format" in
            "") out="$out{\"Id\": \"$id\", \"RepoTags\": [\"$(cat "$dir/ref")\"]}," ;;
            *'{{.Id}}'*) out="$out$(printf '%s' "$format" | sed "s|{{.Id}}|$id|g")
" ;;
            *) out="$out$format
" ;;
        esac
    done
    if [ -z "$format" ]; then echo "[${out%,}]"; else printf '%s' "$out"; fi
    [ -z "$missing" ] || { echo "Error: No such image: $missing" >&2; exit 1; }
}

images() {
    printf '%-40s %-20s %s\n' REPOSITORY TAG "IMAGE ID"
    for dir in "$IMAGES"/*/; do
        [ -f "$dir/id" ] || continue
        ref="$(cat "$dir/ref")"
        printf '%-40s %-20s %s\n' "${ref%:*}" "${ref##*:}" "$(cut -c8-19 "$dir/id")"
    done
}

import_image() { # FILE|- REF
    [ $# -eq 2 ] || { echo "stand-in docker import needs FILE|- and REPOSITORY[:TAG]" >&2; exit 1; }
    if [ "$1" = - ]; then sum="$(sha256sum | cut -d' ' -f1)"; else sum="$(sha256sum < "$1" | cut -d' ' -f1)" || exit 1; fi
    dir="$(image_dir "$2")"
    ref="$2"; case "${ref##*/}" in *:*|*@*) ;; *) ref="$ref:latest" ;; esac
    mkdir -p "$dir" && printf 'sha256:%s\n' "$sum" > "$dir/id" && printf '%s\n' "$ref" > "$dir/ref"
    echo "sha256:$sum"
}

# "runtimes": {..., "nvidia": {...}} in daemon.json (read as text: the containers have no JSON tool).
has_runtime() {
    [ -f "$DAEMON_JSON" ] && tr -d ' \t\r\n' < "$DAEMON_JSON" | grep -q "\"runtimes\":{.*\"$1\":{"
}

# dockerd registers its GPU device driver (--gpus) only when it finds the toolkit's hook on its PATH at start.
gpu_driver() {
    command -v nvidia-container-runtime-hook >/dev/null 2>&1 \
        || daemon_error 'could not select device driver "" with capabilities: [[gpu]].'
}

hook_prestart() {
    if ! err="$(NVIDIA_VISIBLE_DEVICES=all nvidia-container-runtime-hook prestart 2>&1)"; then
        daemon_error "failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: error running prestart hook #0: exit status 1, stdout: , stderr: $err: unknown."
    fi
}

run() {
    gpus=""; runtime=""; pull=missing
    while [ $# -gt 0 ]; do
        case "$1" in
            --rm|-i|-t|-it|-ti|-d|--detach|--interactive|--tty) shift ;;
            --gpus|--runtime|--pull|-e|--env|--name) [ $# -ge 2 ] || daemon_error "flag needs an argument: $1"
                case "$1" in --gpus) gpus="$2" ;; --runtime) runtime="$2" ;; --pull) pull="$2" ;; esac; shift 2 ;;
            --gpus=*) gpus="${1#--gpus=}"; shift ;;
            --pull=*) pull="${1#--pull=}"; shift ;;
            --runtime=*) runtime="${1#--runtime=}"; shift ;;
            --env=*|--name=*) shift ;;
            -*) printf 'unknown flag: %s\nSee '\''docker run --help'\''.\n' "$1" >&2; exit 125 ;;
            *) break ;;
        esac
    done
    [ $# -gt 0 ] || { echo '"docker run" requires at least 1 argument.' >&2; exit 125; }
    image="$1"; shift
    case "$pull" in always|missing|never) ;; *) daemon_error "invalid pull option: '$pull': must be one of \"always\", \"missing\" or \"never\"" ;; esac
    if [ ! -f "$(image_dir "$image")/id" ]; then
        [ "$pull" != never ] || daemon_error "No such image: $(normalized "$image")."
        echo "Unable to find image '$image' locally" >&2
        daemon_error 'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host'
    fi
    if [ -n "$runtime" ] && [ "$runtime" != runc ] && ! has_runtime "$runtime"; then
        daemon_error "unknown or invalid runtime name: $runtime"
    fi
    if [ -n "$gpus" ]; then gpu_driver; hook_prestart; elif [ "$runtime" = nvidia ]; then hook_prestart; fi
    [ $# -gt 0 ] || exit 0
    case "$1" in nvidia-*) [ -n "$gpus" ] || [ "$runtime" = nvidia ] || set -- /nonexistent/"$1" ;; esac
    command -v "$1" >/dev/null 2>&1 || daemon_error "failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: exec: \"${1##*/}\": executable file not found in \$PATH: unknown" 127
    exec "$@"
}

case "${1:-}" in
    --version|-v) echo "Docker version @VERSION@, build e180ab8" ;;
    image) [ "${2:-}" = inspect ] || { echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1; }
        shift 2; image_inspect "$@" ;;
    images) images ;;
    import) shift; import_image "$@" ;;
    run) shift; run "$@" ;;
    *) echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1 ;;
esac
