#!/usr/bin/env bash
# rust_binder: build the binderfs kselftests and run them in QEMU against each
# driver given (c = the kernel's binder_linux.ko, the oracle; rust = our module).
#
# Usage: scripts/check-tests.sh [--module PATH] [--timeout SECS] [--no-build] DRIVER...
#   DRIVER       c and/or rust (default: c)
#   --module     the rust module (default <repo>/rust_binder.ko)
#   --timeout    per-boot limit in seconds (default 600)
#   --no-build   don't run make for the tests first
#   --host       also run the host-side tests first (tests/fresh: the
#                fresh-machine path of make check / make demo; tests/dkms:
#                DKMS and make install into private trees, the toolchain
#                check; tests/packaging: kmod's modprobe with packaging/)
#   --perf-smoke also boot the production-like kernel (KDIR_PERF, default
#                rb_kdir perf) with each driver and run a smoke slice (rust:
#                the module PERF_MODULE built against that kernel)
#
# Per driver it boots the VM (scripts/run-vm.sh):
#   default   our binderfs tests + the kernel's binderfs_test.c (default params)
#   devices   binderfs_devices_test with devices=binder,hwbinder,vndbinder
#   legacy    binder_legacy_test on devices named by a module parameter
#             (rust: legacy_devices= char devices; c: devices= in binderfs)
#   binder    the binder core suite (tests/kselftest/binder); for rust with
#             --kmemleak, and the cases in rust-pending.txt are excluded and
#             reported as SKIP
#   trace     binder_trace_test: scenarios with the binder trace events on
#             (their traces compared between the drivers afterwards, on the
#             host: tests/trace/compare.sh, one test per scenario) and the
#             debugfs files; for rust with --kmemleak
#   hostile   binder_hostile_test (hostile ioctl arguments, huge inputs);
#             for rust with --kmemleak
#   stress    a slice of make stress: binder_fuzz seeds 101 and 102 (45 s
#             each), a 30 s kill storm, a fail-nth sweep over 6 operations;
#             for rust with --kmemleak
#   kmemleak  (rust only) binderfs_smoke_test with --kmemleak, then rmmod
#   android   tests/android (rsbinder service manager, AIDL service, client);
#             for rust with --kmemleak and the rmmod check
#   flows     tests/flows: README's "Use it with ..." recipes (loading like
#             binder_linux, Waydroid, rsbinder, redroid), the driver loaded
#             by modprobe/mount from /lib/modules
#   kselftest tests/flows/kselftest.sh: the tree of make kselftest-install
#             run by its run_kselftest.sh (modprobe'd, default parameters)
#   dkms      (rust only, with --host) modprobe of the module DKMS installed
#             in tests/dkms's private install tree, and a binderfs test
# It prints every TAP result line prefixed with the driver ("[c] ok 3 ..."),
# per-driver counts, the log files, and as its very last line
# "N passed, N failed, N skipped" over all drivers. A problem the VM run finds
# itself (timeout, kernel log, kmemleak, rmmod) is a "not ok" line and counts
# as a failure. Exit status is non-zero if anything failed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=env.sh
. "$ROOT/scripts/env.sh"

MODULE= TIMEOUT=600 BUILD=1 HOST=0 PERF_SMOKE=0
DRIVERS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --module) MODULE=${2:?}; shift 2 ;;
        --timeout) TIMEOUT=${2:?}; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --host) HOST=1; shift ;;
        --perf-smoke) PERF_SMOKE=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        c|rust) DRIVERS+=("$1"); shift ;;
        *) echo "check-tests: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ ${#DRIVERS[@]} -gt 0 ] || DRIVERS=(c)

KDIR=${KDIR:-$(rb_kdir)}
export KDIR
T=$ROOT/build/tests
LOGDIR=$ROOT/build/logs
mkdir -p "$LOGDIR"
STAMP=$(date -u +%Y%m%dT%H%M%S)

if [ "$BUILD" = 1 ]; then
    make -s -C "$ROOT/tests/kselftest" KDIR="$KDIR" O="$T" >&2
    make -s -C "$ROOT/tests/kselftest/binder" KDIR="$KDIR" O="$T/binder" >&2
    make -s -C "$ROOT/tests/stress" KDIR="$KDIR" O="$T/stress" >&2
fi
BINDER_TESTS=(binder_basic_test binder_ctxmgr_test binder_txn_test binder_objects_test
    binder_death_test binder_threads_test binder_fd_test binder_freeze_test binder_prio_test
    binder_reclaim_test binder_logs_test binder_leak_test)
# Arguments of some suites (binder_leak_test: its racy cases' iterations).
declare -A SUITE_ARGS=([binder_leak_test]="-n 40")
PENDING=$ROOT/tests/kselftest/binder/rust-pending.txt

# binder_suite DRIVER: the binder core suite's run-vm.sh arguments; for rust
# the cases listed in rust-pending.txt are left out (and reported as skipped
# by report_pending).
binder_suite() {
    local b args
    for b in "${BINDER_TESTS[@]}"; do
        args=
        if [ "$1" = rust ]; then
            args=$(awk -v b="$b" '$1 == b { printf " -T %s", $2 }' "$PENDING")
        fi
        args="${SUITE_ARGS[$b]:+ ${SUITE_ARGS[$b]}}$args"
        printf '%s\n' "$T/binder/$b${args:+::${args# }}"
    done
}

report_pending() {
    local b t reason
    while read -r b t reason; do
        case "$b" in ''|'#'*) continue ;; esac
        echo "[$1] ok - $b.$t # SKIP $reason"
        drv_skip=$((drv_skip + 1))
    done < "$PENDING"
}

DEVICES=binder,hwbinder,vndbinder
total_pass=0 total_fail=0 total_skip=0

# Host-side tests (TAP on stdout), counted like a boot's.
# run_host NAME SCRIPT ARGS...
run_host() {
    local name=$1 out=$LOGDIR/$STAMP-host-$1.out rc=0 p s f
    shift
    echo "[host] ${1#$ROOT/}"
    bash "$@" > "$out" 2>&1 || rc=$?
    grep -E '^(ok|not ok)( |$)|^#|^1\.\.0' "$out" | sed 's/^/[host] /' || true
    p=$(grep -E '^ok( |$)' "$out" | grep -cvE '# SKIP' || true)
    s=$(grep -E '^ok( |$)' "$out" | grep -cE '# SKIP' || true)
    # A whole script skipped ("1..0 # SKIP ...") counts as one skip.
    if grep -qE '^1\.\.0 # SKIP' "$out"; then s=$((s + 1)); fi
    f=$(grep -cE '^not ok( |$)' "$out" || true)
    if [ "$rc" != 0 ] && [ "$f" = 0 ]; then echo "[host] not ok - $(basename "$1") exited $rc"; f=1; fi
    echo "[host] $name: $p passed, $f failed, $s skipped (output: $out)"
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f)); total_skip=$((total_skip + s))
}
# DKMS's install tree, for the rust "dkms" boot.
DKMS_TREE=$ROOT/build/dkms-tree
KREL=$(cat "$KDIR/include/config/kernel.release")
if [ "$HOST" = 1 ]; then
    run_host fresh "$ROOT/tests/fresh/fresh_path_test.sh"
    rm -rf "$DKMS_TREE"
    run_host dkms "$ROOT/tests/dkms/dkms_test.sh" "$DKMS_TREE"
    run_host packaging "$ROOT/tests/packaging/modprobe_test.sh" "${MODULE:-$ROOT/rust_binder.ko}"
fi

# run_boot DRIVER NAME RUN-VM-ARGS...: one VM boot; prints and counts results.
run_boot() {
    local drv=$1 name=$2; shift 2
    local base=$LOGDIR/$STAMP-$drv-$name out rc=0 p f s
    out=$base.out
    echo "[$drv] boot $name: scripts/run-vm.sh $*" | sed "s|$ROOT/||g"
    "${RUNNER[@]}" --timeout "$TIMEOUT" --log "$base.console.log" "$@" > "$out" 2>&1 || rc=$?
    # Results, failure details of the harness, and the VM's own verdict lines.
    grep -E '^(ok|not ok)( |$)|^# [^ ]+\.c:[0-9]+:|^# [^ ]+: Test (terminated|failed)|^# kernel: |^# run-vm: (wall|driver)|^# (qemu|rb-vm): ' "$out" |
        grep -vE '^# rb-vm: (driver=|done)' | sed "s|^|[$drv] |" || true
    p=$(grep -E '^ok( |$)' "$out" | grep -cvE '# SKIP' || true)
    s=$(grep -E '^ok( |$)' "$out" | grep -cE '# SKIP' || true)
    f=$(grep -cE '^not ok( |$)' "$out" || true)
    if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
        echo "[$drv] not ok - boot $name: run-vm.sh exited with status $rc (see $out)"
        f=1
    fi
    echo "[$drv] boot $name: $p passed, $f failed, $s skipped (output: $out)"
    drv_pass=$((drv_pass + p)); drv_fail=$((drv_fail + f)); drv_skip=$((drv_skip + s))
    drv_logs+=("$base.console.log")
}

for drv in "${DRIVERS[@]}"; do
    drv_pass=0 drv_fail=0 drv_skip=0 drv_logs=()
    RUNNER=("$ROOT/scripts/run-vm.sh")
    modarg=()
    [ "$drv" = rust ] && [ -n "$MODULE" ] && modarg=(--module "$MODULE")
    run_boot "$drv" default --driver "$drv" "${modarg[@]}" \
        "$T/binderfs_test_rb" "$T/binderfs_device_test_rb" "$T/binderfs_userns_test_rb" \
        "$T/binderfs_test"
    run_boot "$drv" devices --driver "$drv" "${modarg[@]}" --params "devices=$DEVICES" \
        "$T/binderfs_devices_test"
    # Devices named by a module parameter outside the test's own binderfs:
    # rust_binder's legacy /dev/<name> devices; the C driver (built with
    # binderfs) makes the same names in every binderfs instance instead.
    if [ "$drv" = rust ]; then
        run_boot "$drv" legacy --driver "$drv" "${modarg[@]}" --params "legacy_devices=binder,hwbinder" \
            --file "$T/binder/binder_legacy_test" "@sh:binder_legacy_test"
    else
        run_boot "$drv" legacy --driver "$drv" --params "devices=binder,hwbinder" \
            --file "$T/binder/binder_legacy_test" \
            "@sh:mkdir -p /tmp/bfs && mount -t binder binder /tmp/bfs && BINDER_LEGACY_DIR=/tmp/bfs binder_legacy_test; rc=\$?; umount /tmp/bfs; exit \$rc"
    fi
    mapfile -t suite < <(binder_suite "$drv")
    leak=()
    [ "$drv" = rust ] && leak=(--kmemleak)
    run_boot "$drv" binder --driver "$drv" "${modarg[@]}" "${leak[@]}" "${suite[@]}"
    [ "$drv" = rust ] && report_pending "$drv"
    # Trace events and debugfs (the traces are compared after both drivers).
    run_boot "$drv" trace --driver "$drv" "${modarg[@]}" "${leak[@]}" "$T/binder/binder_trace_test"
    # Hostile input (cursors, huge inputs, faulting reads): its big cases
    # take minutes under TCG, so it has a boot of its own, with kmemleak on
    # rust.
    run_boot "$drv" hostile --driver "$drv" "${modarg[@]}" "${leak[@]}" --timeout 1200 \
        "$T/binder/binder_hostile_test"
    # A slice of make stress (tests/stress): a kill storm and the fail-nth
    # sweep over the operations whose failures were bugs once (both check
    # the leak oracle against a baseline, so they go first), then two
    # fuzzer seeds (fixed, so a failure replays).
    run_boot "$drv" stress --driver "$drv" "${modarg[@]}" "${leak[@]}" --timeout 900 \
        --file "$T/stress/binder_fuzz" --file "$ROOT/tests/stress/fuzz_seeds.sh" \
        "$T/stress/stress_kill::-t 30 -s 7" \
        "$T/stress/stress_failnth::-o free_buffer,txn_fd,txn_fda,death_request,freeze_request,reply" \
        "@sh:sh /tests/fuzz_seeds.sh 60000 45 101 102"
    if [ "$drv" = rust ]; then
        run_boot "$drv" kmemleak --driver "$drv" "${modarg[@]}" --kmemleak \
            "$T/binderfs_smoke_test"
    fi
    # Android-style userspace (rsbinder service manager, service, client);
    # on rust_binder with kmemleak and the unload check.
    RUNNER=("$ROOT/tests/android/run-in-vm.sh" "$drv")
    leak=()
    [ "$drv" = rust ] && leak=(--kmemleak)
    run_boot "$drv" android "${modarg[@]}" "${leak[@]}"
    # README's "Use it with ..." flows (tests/flows), the driver installed
    # in /lib/modules and loaded by the flows (modprobe, mount).
    RUNNER=(env RB_FLOWS="autoload load waydroid rsbinder redroid" "$ROOT/tests/flows/run-in-vm.sh" "$drv")
    run_boot "$drv" flows "${modarg[@]}" --timeout 900
    # make kselftest-install's tree, run in a boot of its own (the driver
    # loaded with its default parameters).
    RUNNER=(env RB_FLOWS=kselftest "$ROOT/tests/flows/run-in-vm.sh" "$drv")
    run_boot "$drv" kselftest "${modarg[@]}" --timeout 900
    RUNNER=("$ROOT/scripts/run-vm.sh")
    # The module DKMS installed (tests/dkms, host): modprobe finds it in
    # the install tree; then a binderfs test on it.
    if [ "$drv" = rust ] && [ "$HOST" = 1 ]; then
        dko=$DKMS_TREE/$KREL/updates/dkms/rust_binder.ko
        if [ -f "$dko" ]; then
            run_boot "$drv" dkms --driver rust --module "$dko" --modprobe --modules-tree "$DKMS_TREE/$KREL" \
                "@sh:modprobe rust_binder && grep -q '^rust_binder ' /proc/modules" \
                '@sh:grep -q "^updates/dkms/rust_binder.ko:" /lib/modules/$(uname -r)/modules.dep' \
                "$T/binderfs_test_rb"
        else
            echo "[$drv] not ok - boot dkms: tests/dkms left no installed module ($dko)"
            drv_fail=$((drv_fail + 1))
        fi
    fi
    # The production-like kernel: the module built against it loads, passes a
    # smoke slice of the suites and unloads.
    if [ "$PERF_SMOKE" = 1 ]; then
        pk=${KDIR_PERF:-$(rb_kdir perf)}
        pm=()
        [ "$drv" = rust ] && pm=(--module "${PERF_MODULE:-$ROOT/build/module-perf/rust_binder.ko}")
        KDIR=$pk run_boot "$drv" perf-smoke --driver "$drv" "${pm[@]}" \
            "$T/binderfs_test_rb" "$T/binder/binder_basic_test" "$T/binder/binder_txn_test" \
            "$T/binder/binder_objects_test" "$T/binder/binder_death_test"
    fi
    echo "[$drv] total: $drv_pass passed, $drv_fail failed, $drv_skip skipped"
    echo "[$drv] console logs: ${drv_logs[*]}"
    total_pass=$((total_pass + drv_pass)); total_fail=$((total_fail + drv_fail))
    total_skip=$((total_skip + drv_skip))
done

# rust_binder's trace events against the C driver's, scenario by scenario.
if [ -f "$LOGDIR/$STAMP-c-trace.out" ] && [ -f "$LOGDIR/$STAMP-rust-trace.out" ]; then
    run_host trace-compare "$ROOT/tests/trace/compare.sh" \
        "$LOGDIR/$STAMP-c-trace.out" "$LOGDIR/$STAMP-rust-trace.out"
fi

echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" = 0 ]
