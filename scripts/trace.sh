#!/usr/bin/env bash
# rust_binder: `make trace`: boot the QEMU test kernel with a binder driver,
# record binder_trace_test's scenarios (a call and its reply, a one-way
# call, failed transactions, buffers with objects over several pages, a
# death notification) with the `binder` trace events on (tracefs), and print
# a per-transaction timeline (tests/trace/timeline.py).
#
# Environment (make variables): DRIVER=rust|c (default rust; c is the
# kernel's binder_linux.ko), SCENARIO=sync|oneway|failed|objects|death|reclaim (default
# all), ALL=1 (also every event of each scenario), MODULE=PATH (the rust
# module; default: built from this checkout). The raw trace is kept in
# build/logs/<stamp>-trace-<driver>.out.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/env.sh"

DRIVER=${DRIVER:-rust}
case "$DRIVER" in c|rust) ;; *) echo "trace: DRIVER must be rust or c" >&2; exit 2 ;; esac
bash "$ROOT/scripts/setup.sh" >&2
KDIR=$(bash "$ROOT/scripts/build-kernel.sh" debug | tail -n1)
export KDIR
modarg=()
if [ "$DRIVER" = rust ]; then
    if [ -z "${MODULE:-}" ]; then
        rb_step "trace: building rust_binder.ko"
        make -s -C "$ROOT" KDIR="$KDIR" modules >&2
        MODULE=$ROOT/rust_binder.ko
    fi
    modarg=(--module "$MODULE")
fi
make -s -C "$ROOT/tests/kselftest/binder" KDIR="$KDIR" O="$ROOT/build/tests/binder" >&2
mkdir -p "$ROOT/build/logs"
out=$ROOT/build/logs/$(date -u +%Y%m%dT%H%M%S)-trace-$DRIVER.out
test=$ROOT/build/tests/binder/binder_trace_test
[ -z "${SCENARIO:-}" ] || test="$test::-s $SCENARIO"
rb_step "trace: recording in QEMU ($DRIVER driver)"
rc=0
bash "$ROOT/scripts/run-vm.sh" --driver "$DRIVER" "${modarg[@]}" "$test" > "$out" 2>&1 || rc=$?
if [ "$rc" != 0 ]; then
    grep -E '^not ok|^# (run-vm|kernel|rb-vm):' "$out" >&2 || true
    echo "trace: the VM run failed (status $rc), see $out" >&2
    exit "$rc"
fi
echo "== binder trace events on the $DRIVER driver (raw trace: ${out#$ROOT/}) =="
python3 "$ROOT/tests/trace/timeline.py" ${ALL:+--all} "$out" ${SCENARIO:-}
