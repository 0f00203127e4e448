#!/usr/bin/env bash
# rust_binder: the function profile of one benchmark cell on both drivers,
# on the perf kernel (benchmarks/profile.sh in the guest): where the time of
# a cell goes, function by function (total time including children, per
# call). Under TCG only the shares and the rust/C comparison mean anything.
#
# Usage: scripts/bench-profile.sh CELL [SECONDS [ftrace|sample|calls|insns|tlb]]   (e.g. sync_p1_64KiB 4)
#
# With "sample", the sampling profiler benchmarks/ksample.c instead of the
# function profiler: kernel time by function from perf cpu-clock samples,
# the Rust module's own functions included (they have no ftrace hooks).
# With "calls", every traceable kernel function's hits per call of the cell.
# With "insns", guest instructions per call by function (user space, kernel,
# the module's Rust functions included), counted exactly by the QEMU TCG
# plugin benchmarks/tcg_profile.c (vCPUs in one thread, no KASLR) and
# reported side by side by benchmarks/tcg_report.py; with RB_CALLERS="f g"
# also who calls the kernel functions f and g (e.g. memcpy_orig).
# With "tlb", what TCG pays beyond instructions (benchmarks/tcg_tlb.c: block
# entries it can't chain, simulated jump-cache and TLB misses, pages touched),
# reported by benchmarks/tcg_tlb_report.py.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/env.sh"
CELL=${1:?usage: bench-profile.sh CELL [SECONDS [sample]]}
SECS=${2:-4}
MODE=${3:-ftrace}
case $MODE in ftrace|sample|calls|insns|tlb) ;; *) echo "bench-profile: unknown mode $MODE (want: ftrace, sample, calls, insns, tlb)" >&2; exit 2 ;; esac
KDIR=$(bash "$ROOT/scripts/build-kernel.sh" perf | tail -n1)
export KDIR
MODULE=$(bash "$ROOT/scripts/build-module-copy.sh" "$KDIR" "$ROOT/build/module-perf" | tail -n1)
make -s -C "$ROOT/benchmarks" KDIR="$KDIR" OUT="$ROOT/build/bench"
mkdir -p "$ROOT/build/tools"
gcc -static -O2 -Wall -I"$KDIR/usr-headers/include" -o "$ROOT/build/tools/binderctl" "$ROOT/tools/binderctl.c"
FILES=(--file "$ROOT/build/bench/binder_bench" --file "$ROOT/build/tools/binderctl"
    --file "$ROOT/benchmarks/profile.sh")
if [ "$MODE" = sample ]; then
    gcc -static -O2 -Wall -I"$KDIR/usr-headers/include" -o "$ROOT/build/tools/ksample" "$ROOT/benchmarks/ksample.c"
    FILES+=(--file "$ROOT/build/tools/ksample")
fi
# The TCG plugins (insns, tlb): one boot per driver, vCPUs in one thread, no
# KASLR; the guest brackets the cell with sync(2), whose entry snapshots.
if [ "$MODE" = insns ] || [ "$MODE" = tlb ]; then
    if [ "$MODE" = insns ]; then
        plugin=tcg_profile ext=insns tapext=tap report=tcg_report.py
    else
        plugin=tcg_tlb ext=tlb tapext=tlbtap report=tcg_tlb_report.py
    fi
    gcc -shared -fPIC -O2 -Wall -o "$ROOT/build/tools/$plugin.so" "$ROOT/benchmarks/$plugin.c"
    mark=$(awk '$3 == "__x64_sys_sync" { print $1; exit }' "$KDIR/System.map")
    [ -n "$mark" ] || { echo "bench-profile: no __x64_sys_sync in $KDIR/System.map" >&2; exit 1; }
    spec="mark=$mark"
    # RB_CALLERS="f g ..." (insns): also count who calls these kernel functions.
    if [ "$MODE" = insns ] && [ -n "${RB_CALLERS:-}" ]; then
        # A name from System.map, or a hex address (a module function's,
        # from the "# ksym:" lines of an earlier run: no KASLR).
        addrs=$(for f in $RB_CALLERS; do
            case $f in 0x*) echo "${f#0x}" ;; *) awk -v f="$f" '$3 == f { print $1; exit }' "$KDIR/System.map" ;; esac
        done | paste -sd+)
        spec="$spec,callers=$addrs"
    fi
    OUTD="$ROOT/build/profile"
    mkdir -p "$OUTD"
    runs=()
    for drv in c rust; do
        mod=()
        [ "$drv" = rust ] && mod=(--module "$MODULE")
        out=$OUTD/$CELL-$drv.$ext tap=$OUTD/$CELL-$drv.$tapext
        bash "$ROOT/scripts/run-vm.sh" --driver "$drv" "${mod[@]}" --append nokaslr --timeout 900 \
            --plugin "$ROOT/build/tools/$plugin.so,out=$out,$spec" \
            "${FILES[@]}" "@sh:sh /tests/profile.sh $CELL $SECS insns" > "$tap"
        grep -E '^cell ' "$tap" | sed "s/^/[$drv] /"
        runs+=("$drv:$out:$tap")
    done
    python3 "$ROOT/benchmarks/$report" "$KDIR/System.map" "${runs[@]}"
    exit 0
fi
khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
APPEND=()
[ -n "$khz" ] && APPEND=(--append "tsc_early_khz=$khz tsc=reliable")
for drv in c rust; do
    mod=()
    [ "$drv" = rust ] && mod=(--module "$MODULE")
    bash "$ROOT/scripts/run-vm.sh" --driver "$drv" "${mod[@]}" "${APPEND[@]}" --timeout 600 \
        "${FILES[@]}" "@sh:sh /tests/profile.sh $CELL $SECS $MODE" |
        grep -E '^(# profile|# prof:|# ksample:|ksample:|# [0-9]+ functions|cell )' | sed "s/^/[$drv] /"
done
