#!/usr/bin/env bash
# rust_binder: `make bench`: synchronous binder round trips on the
# production-like (perf) kernel
# (benchmarks/binder_bench.c) on each driver, alternating boots of the same
# VM setup, and the rust_binder / C ratio of the median p50 latencies. Under
# TCG only this ratio means anything, not the absolute times.
#
# Usage: scripts/bench.sh [ROUNDS] [CALLS] [PAYLOAD_BYTES]   (default 3 2000 64)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/env.sh"
ROUNDS=${1:-3} CALLS=${2:-2000} SIZE=${3:-64}

# The production-like kernel: KASAN and lockdep would distort both drivers.
bash "$ROOT/scripts/setup.sh"
KDIR=$(bash "$ROOT/scripts/build-kernel.sh" perf | tail -n1)
export KDIR
MODULE=$(bash "$ROOT/scripts/build-module-copy.sh" "$KDIR" "$ROOT/build/module-perf" | tail -n1)
mkdir -p "$ROOT/build/bench" "$ROOT/build/tools"
gcc -static -O2 -Wall -I"$KDIR/usr-headers/include" -o "$ROOT/build/bench/binder_bench" "$ROOT/benchmarks/binder_bench.c"
gcc -static -O2 -Wall -I"$KDIR/usr-headers/include" -o "$ROOT/build/tools/binderctl" "$ROOT/tools/binderctl.c"

# A calibrated guest clock (see shared/TOOLCHAIN.md: TCG can't calibrate TSC).
khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
APPEND=()
[ -n "$khz" ] && APPEND=(--append "tsc_early_khz=$khz tsc=reliable")

GUEST="mkdir -p /dev/binderfs && mount -t binder binder /dev/binderfs && binderctl add /dev/binderfs binder >/dev/null && binder_bench /dev/binderfs/binder $CALLS $SIZE; rc=\$?; umount /dev/binderfs; exit \$rc"
declare -A p50s=([c]="" [rust]="")
for r in $(seq 1 "$ROUNDS"); do
    for drv in c rust; do
        mod=()
        [ "$drv" = rust ] && mod=(--module "$MODULE")
        out=$(bash "$ROOT/scripts/run-vm.sh" --driver "$drv" "${mod[@]}" "${APPEND[@]}" \
            --file "$ROOT/build/bench/binder_bench" --file "$ROOT/build/tools/binderctl" "@sh:$GUEST")
        line=$(grep -m1 '^bench:' <<<"$out") || { echo "$out"; echo "bench: $drv run failed" >&2; exit 1; }
        echo "round $r $drv: ${line#bench: }"
        p50s[$drv]+="$(sed -n 's/.* p50_ns=\([0-9]*\).*/\1/p' <<<"$line") "
    done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
mc=$(median <<<"${p50s[c]}")
mr=$(median <<<"${p50s[rust]}")
echo "median p50: c ${mc} ns, rust ${mr} ns (TCG; compare only the ratio)"
awk -v r="$mr" -v c="$mc" 'BEGIN { printf "bench: rust_binder/C p50 latency ratio %.2f\n", r / c }'
