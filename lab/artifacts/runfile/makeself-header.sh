# makeself header (passed to Debian's makeself with --header). makeself sources this file twice:
# once to count its lines (SKIP), once to write the real archive head. It writes the values only
# makeself knows (checksums, sizes, label) and then appends the NVIDIA-like stub body verbatim, so
# the body needs no heredoc escaping. PHOENIX_MS_STUB_BODY is exported by build-runfile.sh.
cat << EOF > "$archname"
#!/bin/sh
# Stand-in NVIDIA installer archive for the phoenix lab, generated using Makeself $MS_VERSION
CRCsum="$CRCsum"
MD5="$MD5sum"
SHA="$SHAsum"
label="$LABEL"
script="$SCRIPT"
scriptargs="$SCRIPTARGS"
targetdir="$archdirname"
filesizes="$filesizes"
totalsize="$totalsize"
skip="$SKIP"
usize="$USIZE"
compress="$COMPRESS"
gunzip_cmd="$GUNZIP_CMD"
EOF
cat "$PHOENIX_MS_STUB_BODY" >> "$archname"
