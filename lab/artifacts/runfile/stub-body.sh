
# ---- stub body (lab/artifacts/runfile/stub-body.sh) -----------------------------------------
# Behaves like the makeself stub of NVIDIA's .run: its own options (--info, --check, --list,
# -x/--extract-only, --target, --keep, --tmpdir) are consumed here, every other argument goes
# to ./nvidia-installer, in any order. Integrity is makeself's: size, MD5 and CRC of the payload.

TMPROOT=${TMPDIR:-/tmp}
version=${label##* }
keep=n
extract_only=n
pass=""

ms_quote() {
    printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

ms_offset() {
    head -n "$skip" "$1" | wc -c | tr -d ' '
}

ms_payload() {
    tail -c +"$(( $(ms_offset "$1") + 1 ))" "$1"
}

ms_check() {
    printf '%s' "Verifying archive integrity..."
    fsize=$(wc -c < "$1" | tr -d ' ')
    if [ "$totalsize" -ne "$(( fsize - $(ms_offset "$1") ))" ]; then
        echo " Unexpected archive size." >&2
        exit 2
    fi
    md5=$(ms_payload "$1" | md5sum | cut -b-32)
    if [ "$md5" != "$MD5" ]; then
        echo " Error in MD5 checksums: $md5 is different from $MD5" >&2
        exit 2
    fi
    crc=$(ms_payload "$1" | cksum | awk '{print $1}')
    if [ "$crc" != "$CRCsum" ]; then
        echo " Error in checksums: $crc is different from $CRCsum" >&2
        exit 2
    fi
    echo " OK"
}

ms_info() {
    echo "Identification    : $label"
    echo "Target directory  : $targetdir"
    echo "Uncompressed size : $usize KB"
    echo "Compression       : $compress"
    echo "Application run after extraction : $script${scriptargs:+ $scriptargs}"
}

ms_help() {
    cat << EOH
Usage: sh $0 [options]
  --info                Print embedded info (title, default target directory) and exit.
  --check               Check integrity of the archive and exit.
  -x, --extract-only    Extract the contents of $0, but do not run 'nvidia-installer'.
  --list                Print the list of files in the archive and exit.
  --keep                Do not delete target directory when done.
  --target <dir>        Extract contents in <dir>.
  --tmpdir <dir>        Use <dir> for temporary files (also passed to nvidia-installer).
All other options are passed on to ./nvidia-installer (see its --help).
EOH
}

ms_tmp_is_executable() {
    probe="$TMPROOT/.nv-exec-check.$$"
    printf '#!/bin/sh\nexit 0\n' > "$probe" 2>/dev/null || return 1
    chmod +x "$probe"
    "$probe" 2>/dev/null
    rc=$?
    rm -f "$probe"
    return $rc
}

while [ $# -gt 0 ]; do
    case "$1" in
        --info) ms_info; exit 0 ;;
        --check) ms_check "$0"; exit 0 ;;
        --list)
            echo "Target directory: $targetdir"
            ms_payload "$0" | eval "$gunzip_cmd" | tar tvf -
            exit 0 ;;
        --lsm) echo "no LSM"; exit 0 ;;
        --label) echo "$label"; exit 0 ;;
        --version-string) echo "$version"; exit 0 ;;
        --target-directory) echo "$targetdir"; exit 0 ;;
        --script) echo "$script${scriptargs:+ $scriptargs}"; exit 0 ;;
        -h|--help) ms_help; exit 0 ;;
        -x|--extract-only) extract_only=y; keep=y ;;
        --keep) keep=y ;;
        --target) targetdir="$2"; keep=y; shift ;;
        --target=*) targetdir="${1#--target=}"; keep=y ;;
        --tmpdir) TMPROOT="$2"; pass="$pass '--tmpdir' $(ms_quote "$2")"; shift ;;
        --tmpdir=*) TMPROOT="${1#--tmpdir=}"; pass="$pass $(ms_quote "$1")" ;;
        --) shift; while [ $# -gt 0 ]; do pass="$pass $(ms_quote "$1")"; shift; done; break ;;
        *) pass="$pass $(ms_quote "$1")" ;;
    esac
    shift
done

if [ "$keep" = y ]; then
    dir="$targetdir"
    echo "Creating directory $dir"
    mkdir -p "$dir" || { echo "Cannot create target directory $dir" >&2; exit 1; }
else
    if ! ms_tmp_is_executable; then
        echo "ERROR: Temporary directory $TMPROOT is not executable - use the --tmpdir option" >&2
        exit 1
    fi
    dir=$(mktemp -d "$TMPROOT/makeself.XXXXXXXX") || { echo "Cannot create temporary directory in $TMPROOT" >&2; exit 1; }
fi

ms_check "$0"
printf '%s' "Uncompressing $label"
if ! ms_payload "$0" | eval "$gunzip_cmd" | (cd "$dir" && tar xpf -); then
    echo
    echo "Unable to decompress $0" >&2
    [ "$keep" = y ] || rm -rf "$dir"
    exit 1
fi
echo "..."

[ "$extract_only" = y ] && exit 0

cd "$dir" || exit 1
eval "set -- $pass"
"$script" $scriptargs "$@"
res=$?
cd "$TMPROOT" 2>/dev/null || cd /
[ "$keep" = y ] || rm -rf "$dir"
exit $res
