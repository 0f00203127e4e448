#!/usr/bin/env bash
# rust_binder: build (or reuse) the cached QEMU test kernel.
# Prints the build directory (KDIR) on its last line.
set -euo pipefail
. "$(dirname "$0")/env.sh"

KDIR=$(rb_kdir)
if [ -f "$KDIR/.rb-done" ]; then echo "$KDIR"; exit 0; fi

mkdir -p "$RB_CACHE"
SRC="$RB_CACHE/src-$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || echo local)"
if ! [ -f "$SRC/.rb-extracted" ]; then
    echo "build-kernel: extracting $RB_KSRC_TAR" >&2
    rm -rf "$SRC.tmp"; mkdir -p "$SRC.tmp"
    tar -C "$SRC.tmp" --strip-components=1 -xf "$RB_KSRC_TAR"
    rm -rf "$SRC"; mv "$SRC.tmp" "$SRC"; touch "$SRC/.rb-extracted"
fi

rm -rf "$KDIR"; mkdir -p "$KDIR"
LOG="$KDIR/build.log"
echo "build-kernel: building in $KDIR (log: $LOG), about 17 minutes on 2 cores" >&2
(
    cd "$SRC"
    "${RB_KMAKE[@]}" O="$KDIR" tinyconfig
    "$SRC/scripts/kconfig/merge_config.sh" -m -O "$KDIR" "$KDIR/.config" \
        "$RB_ROOT/scripts/kconfig/qemu-debug.config"
    "${RB_KMAKE[@]}" O="$KDIR" olddefconfig
    # Every option of the fragment must have survived olddefconfig.
    bad=0
    while IFS= read -r line; do
        case "$line" in CONFIG_*=*|"# CONFIG_"*" is not set") ;; *) continue ;; esac
        grep -qxF -- "$line" "$KDIR/.config" || { echo "build-kernel: not applied: $line"; bad=1; }
    done < "$RB_ROOT/scripts/kconfig/qemu-debug.config"
    [ $bad = 0 ] || exit 1
    "${RB_KMAKE[@]}" O="$KDIR" -j"$(nproc)" bzImage modules
    "${RB_KMAKE[@]}" O="$KDIR" INSTALL_HDR_PATH="$KDIR/usr-headers" headers_install
) >"$LOG" 2>&1 || { echo "build-kernel: FAILED, last lines of $LOG:" >&2; tail -n 40 "$LOG" >&2; exit 1; }
touch "$KDIR/.rb-done"
# Keep only this build: older keys are dead weight (each is several GiB).
for d in "$RB_CACHE"/kernel-*; do [ "$d" = "$KDIR" ] || rm -rf "$d"; done
echo "$KDIR"
