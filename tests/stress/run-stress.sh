#!/usr/bin/env bash
# rust_binder: the stress suite (issue 8, items 2-6) in QEMU against one
# driver; TAP output.
#
# Usage: tests/stress/run-stress.sh [options] DRIVER [SECONDS]
#   DRIVER       c (the kernel's binder_linux.ko, the oracle), rust, or both
#                (c then rust, same seed, one total line)
#   SECONDS      length of the kill storm (default 60)
#   --module P   the rust module (default <repo>/rust_binder.ko; if missing,
#                it is built with scripts/build-module-copy.sh into
#                <repo>/build/stress-module)
#   --seed S     kill storm seed (default: from the clock; printed)
#   --only LIST  comma list of boots to run (kill,leak,failnth,fuzz,uffd,unload)
#   --fuzz K,OPS,SECS  fuzz boot: K seeds (SEED, SEED+1, ...), each up to
#                OPS operations or SECS seconds (default 5,220000,240)
#   --timeout S  per-boot limit added to the boot's own estimate (default 300)
#   --no-build   don't build the test programs
#
# Boots (scripts/run-vm.sh, one VM at a time; rust ones with --kmemleak and
# run-vm's final rmmod):
#   kill     stress_kill -t SECONDS -s SEED: kill storms over a tree of
#            clients, servers and a context manager; settle + leak oracle
#   leak     binder_leak_test -n 150 (the binder suite's leak regressions:
#            dead-node pinning, releases racing with death/freeze
#            notifications and ref drops, a target dying under
#            transactions, failed allocations in BC_FREE_BUFFER), leak
#            oracle per iteration
#   fuzz     binder_fuzz, one run per seed (fuzz_seeds.sh); the total
#            operation count is printed
#   failnth  stress_failnth: fail-nth sweeps over every key operation, then
#            its random mode (-r 10 -p 25: every allocation fails with 25%,
#            which reaches the double failures fail-nth can't)
#   uffd     uffd_block: a user copy stalled in a userfaultfd fault must not
#            block other senders, BINDER_FREEZE, binder_logs
#   unload   (rust only) unload_loop.sh: insmod/burst/rmmod rounds, rmmod
#            while a binder fd is held (zombie, SCM_RIGHTS, epoll) must fail
#            with EAGAIN/EBUSY, then succeed once released
# Every result line of every boot is printed renumbered as one TAP stream
# ("ok 7 - [rust] uffd: ..."), with the programs' '#' diagnostics and
# run-vm's verdict lines ("not ok - vm: kernel log shows problems", with
# the first kernel log lines); a boot that fails without a "not ok" line
# of its own adds one. Logs: build/logs/<stamp>-stress-<driver>-<boot>.*
# The last line is "N passed, N failed" (skips are counted in neither and
# reported on the line before). Exit status 1 if anything failed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../../scripts/env.sh
. "$ROOT/scripts/env.sh"

MODULE= SEED= ONLY=kill,leak,failnth,fuzz,uffd,unload TIMEOUT=300 BUILD=1
FUZZ_SEEDS=5 FUZZ_OPS=220000 FUZZ_SECS=240
ARGS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --module) MODULE=${2:?}; shift 2 ;;
        --seed) SEED=${2:?}; shift 2 ;;
        --fuzz) IFS=, read -r FUZZ_SEEDS FUZZ_OPS FUZZ_SECS <<< "${2:?}"; shift 2 ;;
        --only) ONLY=${2:?}; shift 2 ;;
        --timeout) TIMEOUT=${2:?}; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        -*) echo "run-stress: unknown option $1" >&2; exit 2 ;;
        *) ARGS+=("$1"); shift ;;
    esac
done
DRIVER=${ARGS[0]:-}
SECONDS_STORM=${ARGS[1]:-60}
case "$DRIVER" in c|rust|both) ;; *) echo "usage: run-stress.sh [options] c|rust|both [SECONDS]" >&2; exit 2 ;; esac
SEED=${SEED:-$(date +%s)}

# both: the C driver, then rust_binder, with the same seed; one total.
if [ "$DRIVER" = both ]; then
    tp=0 tf=0 rc=0
    for d in c rust; do
        out=$(mktemp)
        opts=(--seed "$SEED" --only "$ONLY" --timeout "$TIMEOUT"
            --fuzz "$FUZZ_SEEDS,$FUZZ_OPS,$FUZZ_SECS")
        [ -n "$MODULE" ] && opts+=(--module "$MODULE")
        [ "$BUILD" = 0 ] && opts+=(--no-build)
        bash "$0" "${opts[@]}" "$d" "$SECONDS_STORM" | tee "$out" || rc=1
        read -r p _ f _ < <(tail -n1 "$out")
        tp=$((tp + ${p:-0})); tf=$((tf + ${f:-1}))
        rm -f "$out"
    done
    echo "# run-stress: both drivers, seed $SEED"
    echo "$tp passed, $tf failed"
    exit $rc
fi

KDIR=${KDIR:-$(rb_kdir)}
export KDIR
O=$ROOT/build/tests/stress
LOGDIR=$ROOT/build/logs
STAMP=$(date -u +%Y%m%dT%H%M%S)
mkdir -p "$LOGDIR"

MINE=(stress_kill stress_failnth uffd_block leak_oracle unload_holder binder_fuzz)
LEAK=$ROOT/build/tests/binder/binder_leak_test
if [ "$BUILD" = 1 ]; then
    make -s -C "$ROOT/tests/stress" KDIR="$KDIR" O="$O" "${MINE[@]/#/$O/}" >&2
    make -s -C "$ROOT/tests/kselftest/binder" KDIR="$KDIR" O="$(dirname "$LEAK")" "$LEAK" >&2
fi

MODARGS=()
if [ "$DRIVER" = rust ]; then
    if [ -z "$MODULE" ]; then
        MODULE=$ROOT/rust_binder.ko
        if [ ! -f "$MODULE" ]; then
            MODULE=$(bash "$ROOT/scripts/build-module-copy.sh" "$KDIR" "$ROOT/build/stress-module" | tail -n1)
        fi
    fi
    MODARGS=(--module "$MODULE" --kmemleak)
fi

echo "TAP version 13"
echo "# run-stress: driver=$DRIVER storm=${SECONDS_STORM}s seed=$SEED kdir=$KDIR${MODULE:+ module=$MODULE}"
n=0 pass=0 fail=0 skip=0

# boot NAME TIMEOUT RUN-VM-ARGS...: one VM boot; its results renumbered.
boot() {
    local name=$1 tmo=$2; shift 2
    local base=$LOGDIR/$STAMP-stress-$DRIVER-$name out rc=0 nf=0 line
    out=$base.out
    echo "# boot $name: scripts/run-vm.sh --driver $DRIVER ${MODARGS[*]} $*" | sed "s|$ROOT/||g"
    "$ROOT/scripts/run-vm.sh" --driver "$DRIVER" "${MODARGS[@]}" --timeout "$tmo" \
        --log "$base.console.log" "$@" > "$out" 2>&1 || rc=$?
    while IFS= read -r line; do
        case "$line" in
            "not ok"*)
                n=$((n + 1)); fail=$((fail + 1)); nf=$((nf + 1))
                echo "not ok $n - [$DRIVER] $name: $(echo "$line" | sed -E 's/^not ok( [0-9]+)?( -)? ?//')" ;;
            "ok"*"# SKIP"*)
                n=$((n + 1)); skip=$((skip + 1))
                echo "ok $n - [$DRIVER] $name: $(echo "$line" | sed -E 's/^ok( [0-9]+)?( -)? ?//')" ;;
            "ok"*)
                n=$((n + 1)); pass=$((pass + 1))
                echo "ok $n - [$DRIVER] $name: $(echo "$line" | sed -E 's/^ok( [0-9]+)?( -)? ?//')" ;;
            "# rb-vm: driver="*|"# rb-vm: done"|"# rb-run:"*|"# rb-exit:"*|"# rb-kmemleak-"*|"TAP version"*|1..*) ;;
            "#"*) echo "$line" ;;
            "unreferenced object"*|"  "*) echo "# $line" ;;
        esac
    done < "$out"
    if [ "$rc" != 0 ] && [ "$nf" = 0 ]; then
        n=$((n + 1)); fail=$((fail + 1))
        echo "not ok $n - [$DRIVER] $name: run-vm.sh exited with status $rc (see $out)"
    fi
    echo "# boot $name: console $base.console.log" | sed "s|$ROOT/||g"
}

want() { case ",$ONLY," in *",$1,"*) return 0 ;; esac; return 1; }

want kill && boot kill $((SECONDS_STORM + 120 + TIMEOUT)) \
    "$O/stress_kill::-t $SECONDS_STORM -s $SEED"
want leak && boot leak $((300 + TIMEOUT)) "$LEAK::-n 150"
want failnth && boot failnth $((600 + TIMEOUT)) "$O/stress_failnth" "$O/stress_failnth::-r 10 -p 25"
if want fuzz; then
    seeds=()
    for i in $(seq 0 $((FUZZ_SEEDS - 1))); do seeds+=($((SEED + i))); done
    boot fuzz $((FUZZ_SEEDS * (FUZZ_SECS + 30) + TIMEOUT)) --file "$O/binder_fuzz" \
        --file "$ROOT/tests/stress/fuzz_seeds.sh" \
        "@sh:sh /tests/fuzz_seeds.sh $FUZZ_OPS $FUZZ_SECS ${seeds[*]}"
    grep -h '^# fuzz: total' "$LOGDIR/$STAMP-stress-$DRIVER-fuzz.out" || true
fi
want uffd && boot uffd $((120 + TIMEOUT)) "$O/uffd_block"
if want unload; then
    if [ "$DRIVER" = rust ]; then
        files=(--file "$O/unload_holder" --file "$O/leak_oracle" --file "$O/stress_kill"
            --file "$ROOT/tests/stress/unload_loop.sh")
        [ -x "$O/binder_fuzz" ] && files+=(--file "$O/binder_fuzz")
        boot unload $((240 + TIMEOUT)) "${files[@]}" "@sh:sh /tests/unload_loop.sh 3 4"
    else
        n=$((n + 1)); skip=$((skip + 1))
        echo "ok $n - [c] unload: unload loop # SKIP binder_linux.ko has no module_exit"
    fi
fi

echo "1..$n"
echo "# $skip skipped"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
