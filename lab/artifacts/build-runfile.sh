#!/bin/bash
# build-runfile.sh VERSION OUTDIR
# Builds OUTDIR/NVIDIA-Linux-x86_64-VERSION.run, a real makeself archive (Debian's makeself with
# an NVIDIA-like header, runfile/makeself-header.sh) holding the stand-in nvidia-installer,
# nvidia-smi, libraries, kernel modules and firmware, plus OUTDIR/<name>.run.sha256sum in
# NVIDIA's format. A no-op when both outputs are newer than every input.
# Env: RUNFILE_PAD_KB (default 1024) size of the incompressible stand-in nvidia.ko, so that a
# download is big enough to cut half way and the payload dwarfs the shell header.
set -euo pipefail

die() { echo "build-runfile.sh: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: build-runfile.sh VERSION OUTDIR"
VERSION="$1"
OUTDIR="$2"
[[ "$VERSION" =~ ^[0-9]{3,}\.[0-9]+(\.[0-9]+)?$ ]] || die "not a driver version: $VERSION"
command -v makeself >/dev/null || die "makeself is not installed (apt-get install makeself)"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$HERE/runfile"
NAME="NVIDIA-Linux-x86_64-$VERSION"
RUN="$OUTDIR/$NAME.run"
SUM="$RUN.sha256sum"
PADMARK="$OUTDIR/.$NAME.pad" # hidden: the server never serves dot files
PAD_KB="${RUNFILE_PAD_KB:-1024}"
EPOCH="${SOURCE_DATE_EPOCH:-1735689600}" # fixed mtimes: same inputs give the same bytes
LABEL="NVIDIA Accelerated Graphics Driver for Linux-x86_64 $VERSION"

up_to_date() {
    [ -f "$RUN" ] && [ -f "$SUM" ] && [ -f "$PADMARK" ] && [ "$(cat "$PADMARK")" = "$PAD_KB" ] || return 1
    [ -z "$(find "$SRC" "$HERE/build-runfile.sh" -newer "$SUM" -print -quit)" ]
}

# Deterministic incompressible bytes (AES-CTR keystream keyed by the version).
pad_bytes() {
    local key
    key="$(printf '%s' "$VERSION" | sha256sum | cut -c1-32)"
    openssl enc -aes-128-ctr -nosalt -K "$key" -iv 00000000000000000000000000000000 -in /dev/zero 2>/dev/null \
        | head -c "$(( PAD_KB * 1024 ))" || true
}

stage() { # $1 = directory named like the real target directory
    local d="$1" t
    mkdir -p "$d/kernel" "$d/kernel-open" "$d/firmware"
    sed "s/@VERSION@/$VERSION/g" "$SRC/nvidia-installer.sh" > "$d/nvidia-installer"
    sed "s/@VERSION@/$VERSION/g" "$SRC/nvidia-smi.sh" > "$d/nvidia-smi"
    printf '#!/bin/sh\n# stand-in nvidia-modprobe %s\nexit 0\n' "$VERSION" > "$d/nvidia-modprobe"
    chmod 0755 "$d/nvidia-installer" "$d/nvidia-smi" "$d/nvidia-modprobe"
    printf 'stand-in libnvidia-ml.so %s\n' "$VERSION" > "$d/libnvidia-ml.so.$VERSION"
    printf 'stand-in libcuda.so %s\n' "$VERSION" > "$d/libcuda.so.$VERSION"
    for t in kernel kernel-open; do
        for m in nvidia-uvm nvidia-modeset nvidia-drm; do
            printf 'stand-in %s/%s.ko %s\n' "$t" "$m" "$VERSION" > "$d/$t/$m.ko"
        done
    done
    pad_bytes > "$d/kernel-open/nvidia.ko"
    printf 'stand-in kernel/nvidia.ko %s\n' "$VERSION" > "$d/kernel/nvidia.ko"
    printf 'stand-in GSP firmware %s\n' "$VERSION" > "$d/firmware/gsp_ga10x.bin"
    printf 'stand-in GSP firmware %s\n' "$VERSION" > "$d/firmware/gsp_tu10x.bin"
    printf '%s\n%s\n' "NVIDIA Accelerated Graphics Driver for Linux-x86_64" "$VERSION" > "$d/.manifest"
    find "$d" -exec touch -h -d "@$EPOCH" {} +
}

WORK=""
trap '[ -z "$WORK" ] || rm -rf "$WORK"' EXIT

build() {
    WORK="$(mktemp -d)"
    local work="$WORK"
    stage "$work/$NAME"
    mkdir -p "$OUTDIR"
    # gzip stores the mtime of a regular-file stdin; -n keeps the archive byte-for-byte stable.
    mkdir -p "$work/bin"
    printf '#!/bin/sh\nexec %s -n "$@"\n' "$(command -v gzip)" > "$work/bin/gzip"
    chmod +x "$work/bin/gzip"
    (
        cd "$work"
        export PATH="$work/bin:$PATH"
        export PHOENIX_MS_STUB_BODY="$SRC/stub-body.sh"
        makeself --header "$SRC/makeself-header.sh" --gzip --complevel 9 --quiet --tar-quietly \
            --packaging-date "$(LC_ALL=C date -u -d "@$EPOCH")" \
            --tar-extra "--owner=0 --group=0 --numeric-owner --mtime=@$EPOCH" \
            "$NAME" "$NAME.run" "$LABEL" ./nvidia-installer
    ) >/dev/null
    mv -f "$work/$NAME.run" "$RUN.tmp"
    chmod 0755 "$RUN.tmp"
    mv -f "$RUN.tmp" "$RUN"
    (cd "$OUTDIR" && sha256sum "$NAME.run" > "$NAME.run.sha256sum.tmp" && mv -f "$NAME.run.sha256sum.tmp" "$NAME.run.sha256sum")
    echo "$PAD_KB" > "$PADMARK"
}

if up_to_date; then
    echo "up to date: $RUN"
else
    build
    echo "built: $RUN"
fi
