#!/usr/bin/env bash
# rust_binder: build (or reuse) a cached QEMU kernel of one flavour.
#
# Usage: scripts/build-kernel.sh [debug|perf]     (default debug)
#   debug  the test kernel: base.config + debug.config (KASAN, lockdep, ...)
#   perf   production-like: base.config + perf.config (no debugging option)
#
# Prints the build directory (KDIR) on its last line of stdout; progress
# (with a percentage while compiling) goes to stderr. The build lives in
# $RB_CACHE/kernel-FLAVOUR-KEY, KEY a hash of the kernel package version,
# the config fragments, the toolchain versions and the recipe number.
# Needs scripts/setup.sh to have run.
set -euo pipefail
. "$(dirname "$0")/env.sh"

FLAVOUR=${1:-debug}
case " $RB_FLAVOURS " in *" $FLAVOUR "*) ;; *) echo "build-kernel: unknown flavour $FLAVOUR (want: $RB_FLAVOURS)" >&2; exit 2 ;; esac
[ -f "$RB_KSRC_TAR" ] || { echo "build-kernel: $RB_KSRC_TAR missing: run scripts/setup.sh first" >&2; exit 1; }
[ -n "$(rb_rust_lib_src)" ] || { echo "build-kernel: no Rust library source (rust-web-src): run scripts/setup.sh first" >&2; exit 1; }

KDIR=$(rb_kdir "$FLAVOUR")
if [ -f "$KDIR/.rb-done" ]; then echo "$KDIR"; exit 0; fi

mkdir -p "$RB_CACHE"
SRC="$RB_CACHE/src-$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || echo local)"
# Two workflows may want the same kernel at once: one builds, the other waits.
exec 9>"$RB_CACHE/.build-$FLAVOUR.lock"
if ! flock -n 9; then
    rb_step "build-kernel: another build of the $FLAVOUR kernel is running, waiting for it"
    flock 9
    if [ -f "$KDIR/.rb-done" ]; then echo "$KDIR"; exit 0; fi
fi
(
    flock 8
    if ! [ -f "$SRC/.rb-extracted" ]; then
        rb_step "build-kernel: extracting $RB_KSRC_TAR (about 1 minute)"
        rm -rf "$SRC.tmp"; mkdir -p "$SRC.tmp"
        tar -C "$SRC.tmp" --strip-components=1 -xf "$RB_KSRC_TAR"
        rm -rf "$SRC"; mv "$SRC.tmp" "$SRC"; touch "$SRC/.rb-extracted"
    fi
) 8>"$RB_CACHE/.extract.lock"

rm -rf "$KDIR"; mkdir -p "$KDIR"
LOG="$KDIR/build.log"
FRAGS=("$RB_ROOT/scripts/kconfig/base.config" "$RB_ROOT/scripts/kconfig/$FLAVOUR.config")
# Compile steps of the last build of this flavour, for the progress figure.
COUNT_FILE=$RB_CACHE/.build-$FLAVOUR.steps
expected=$(cat "$COUNT_FILE" 2>/dev/null || echo 1400)
rb_step "build-kernel: building the $FLAVOUR kernel in $KDIR (log: $LOG); about 8-17 minutes on 2 cores"
(
    cd "$SRC"
    rb_kmake O="$KDIR" tinyconfig
    "$SRC/scripts/kconfig/merge_config.sh" -m -O "$KDIR" "$KDIR/.config" "${FRAGS[@]}"
    rb_kmake O="$KDIR" olddefconfig
    # Every option of the fragments must have survived olddefconfig.
    bad=0
    while IFS= read -r line; do
        case "$line" in CONFIG_*=*|"# CONFIG_"*" is not set") ;; *) continue ;; esac
        grep -qxF -- "$line" "$KDIR/.config" || { echo "build-kernel: not applied: $line"; bad=1; }
    done < <(cat "${FRAGS[@]}")
    [ $bad = 0 ] || exit 1
    echo "build-kernel: config ok"
    rb_kmake O="$KDIR" -j"$(nproc)" bzImage modules
    rb_kmake O="$KDIR" INSTALL_HDR_PATH="$KDIR/usr-headers" headers_install
) >"$LOG" 2>&1 &
bpid=$!
# Progress: compile steps (CC, RUSTC, AS, LD...) against the last build's.
last=
while kill -0 "$bpid" 2>/dev/null; do
    sleep 2
    if grep -q '^build-kernel: not applied' "$LOG" 2>/dev/null; then continue; fi
    steps=$(grep -cE '^  (CC|RUSTC|AS|LD|AR|HOSTCC|BINDGEN|EXPORTS)' "$LOG" 2>/dev/null || true)
    pct=$(( steps * 100 / (expected > 0 ? expected : 1) )); [ $pct -le 99 ] || pct=99
    now=$(( SECONDS / 30 ))
    if [ "$now" != "$last" ]; then
        last=$now
        rb_step "build-kernel: $FLAVOUR kernel ${pct}% ($steps of ~$expected steps, ${SECONDS}s)"
    fi
done
if ! wait "$bpid"; then
    echo "build-kernel: FAILED, last lines of $LOG:" >&2; tail -n 40 "$LOG" >&2; exit 1
fi
grep -cE '^  (CC|RUSTC|AS|LD|AR|HOSTCC|BINDGEN|EXPORTS)' "$LOG" > "$COUNT_FILE" || true
touch "$KDIR/.rb-done"
rb_step "build-kernel: $FLAVOUR kernel built in ${SECONDS}s"
# Keep only this build of this flavour: older keys are dead weight (GiBs each).
for d in "$RB_CACHE"/kernel-"$FLAVOUR"-* "$RB_CACHE"/kernel-????????????????; do
    [ -e "$d" ] || continue
    [ "$d" = "$KDIR" ] || rm -rf "$d"
done
echo "$KDIR"
