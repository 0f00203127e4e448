#!/bin/sh
# rust_binder: the guest side of `make bench` (busybox sh, in the QEMU VM,
# whichever binder driver is loaded). scripts/bench.sh copies it, binder_bench,
# binderctl, rb-bench-aidl and rsb_hub into the guest's /tests.
#
# Usage: guest.sh [-q] [-t SECS] [CELL-PREFIX...]
#   -q, -t and the prefixes are binder_bench's (see benchmarks/binder_bench.c);
#   the prefixes also select the AIDL cells (aidl_0B, aidl_4KiB; quick: aidl_0B).
#
# Mounts binderfs at /dev/binderfs, creates the devices "binder" (binder_bench)
# and "aidl" (rsb_hub, the AIDL service and client: each device can have one
# context manager), runs binder_bench, then the AIDL cells, and prints
# "cell name=... key=value ..." lines (a failed cell: "cell name=X error=Y").
# Exit status: non-zero if a cell failed.

FS=/dev/binderfs
QUICK=0 SECS=
for a in "$@"; do
    case "$a" in -q) QUICK=1 ;; esac
done
prev=
for a in "$@"; do
    [ "$prev" = -t ] && SECS=$a
    prev=$a
done
[ -n "$SECS" ] || { if [ "$QUICK" = 1 ]; then SECS=2; else SECS=7; fi; }
FILTERS=$(prev=; for a in "$@"; do
    case "$a" in -q|-t) ;; *) [ "$prev" = -t ] || printf '%s ' "$a" ;; esac
    prev=$a
done)

mkdir -p "$FS"
mount -t binder binder "$FS" || { echo "cell name=setup error=binderfs_mount"; exit 1; }
binderctl add "$FS" binder >/dev/null && binderctl add "$FS" aidl >/dev/null ||
    { echo "cell name=setup error=binderctl_add"; umount "$FS"; exit 1; }
# The TSC's refined calibration switches tsc-early to tsc about a second
# after boot: measure on the final clocksource.
CS=/sys/devices/system/clocksource/clocksource0/current_clocksource
i=0
while [ "$(cat $CS)" = tsc-early ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
echo "# guest: kernel $(uname -r), driver $(grep -oE '^(binder_linux|rust_binder) ' /proc/modules | tr -d ' '), $(grep -c ^processor /proc/cpuinfo) CPUs, clocksource $(cat $CS)"

binder_bench -d "$FS/binder" "$@"
rc=$?

# ---- the rsbinder AIDL cells ------------------------------------------------------
selected() {
    [ -z "$FILTERS" ] && return 0
    for f in $FILTERS; do
        case "$1" in "$f"*) return 0 ;; esac
    done
    return 1
}
CELLS="aidl_0B:0 aidl_4KiB:4096"
[ "$QUICK" = 1 ] && CELLS="aidl_0B:0"
want=
for c in $CELLS; do selected "${c%%:*}" && want="$want $c"; done
if [ -n "$want" ]; then
    if [ ! -x /tests/rb-bench-aidl ] || [ ! -x /tests/rsb_hub ]; then
        for c in $want; do echo "cell name=${c%%:*} error=not_built"; done
    else
        NAME=rb.bench.IBench/default
        RUST_LOG=rsb_hub=info timeout -s KILL 600 rsb_hub --device aidl --insecure-allow-all \
            >/tmp/hub.log 2>&1 </dev/null &
        hub=$!
        i=0
        until grep -q "serving on" /tmp/hub.log || [ $i -ge 300 ]; do sleep 0.1; i=$((i + 1)); done
        timeout -s KILL 600 rb-bench-aidl serve --device "$FS/aidl" --name "$NAME" \
            --ready-file /tmp/aidl.ready >/tmp/aidl-serve.log 2>&1 </dev/null &
        svc=$!
        i=0
        until [ -s /tmp/aidl.ready ] || [ $i -ge 300 ]; do sleep 0.1; i=$((i + 1)); done
        for c in $want; do
            cell=${c%%:*} size=${c#*:}
            if [ ! -s /tmp/aidl.ready ]; then
                echo "cell name=$cell error=service_not_up"
                rc=1
                continue
            fi
            timeout -s KILL 300 rb-bench-aidl client --device "$FS/aidl" --name "$NAME" \
                --cell "$cell" --size "$size" --secs "$SECS" </dev/null 2>/tmp/aidl-client.err
            crc=$?
            if [ $crc != 0 ]; then
                echo "cell name=$cell error=client_exit_$crc"
                sed 's/^/# aidl client: /' /tmp/aidl-client.err | head -n 10
                rc=1
            fi
        done
        kill -9 "$svc" "$hub" 2>/dev/null
        wait "$svc" "$hub" 2>/dev/null
        if [ $rc != 0 ]; then
            sed 's/^/# rsb_hub: /' /tmp/hub.log | head -n 10
            sed 's/^/# aidl service: /' /tmp/aidl-serve.log | head -n 10
        fi
    fi
fi
umount "$FS" 2>/dev/null || umount -l "$FS"
exit $rc
