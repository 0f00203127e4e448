#!/usr/bin/env bash
# rust_binder: `make bench`: the benchmark matrix (benchmarks/, issue 9) on
# both drivers, on the production-like (perf) kernel, and the rust_binder/C
# ratios. Under TCG (the project's VM) only these ratios mean anything, not
# the absolute times.
#
# Usage: scripts/bench.sh            (make bench [QUICK=1] [ROUNDS=N] [RECORD=1])
# Environment:
#   ROUNDS=N    boots per driver, in the order c, rust, rust, c, c, rust, ...
#               (default 2, also with QUICK: one TCG boot differs from the
#               next by up to ~30% in single cells, so one round is only a
#               hint). Odd rounds boot C first, even rounds rust_binder: a
#               host that slows down or speeds up over the run (seen: a
#               pipe_4B-only run whose C boots went 82, 92, 99, 116 us)
#               favours neither driver over an even number of rounds.
#   QUICK=1     the ~2-minute subset (binder_bench -q), for use while optimising
#   RECORD=1    also write benchmarks/RESULTS.md and benchmarks/RESULTS.svg
#   CELLS="p.." only the cells whose names start with one of these prefixes
#   SECS=S      timed phase of each latency cell (default 7; QUICK: 2)
#   RETRY_NOISY=N  run a boot again, up to N times (default 1), when other
#               processes used NOISY_PCT% (default 10) or more of the host's
#               CPUs while it ran; the results keep the last attempt, and
#               leave a boot that was still noisy out of the medians if the
#               same driver has a quiet one
#   RB_VM_LOCK  as for scripts/run-vm.sh: boots wait for other VMs using it
#
# Each boot runs the whole matrix in one guest command (benchmarks/guest.sh:
# binder_bench, then the rsbinder AIDL cells), which prints one "cell ..."
# line per cell. This script collects them, takes the median over the rounds
# for each driver, and prints one table (one row per cell: medians of both
# drivers, rust/C ratios of calls/s, p50 and p99, and the spread over the
# rounds). It also records how busy the host was: the load average, steal
# time, and the CPU time other processes used while each VM ran (a noisy run
# shows there). Output: build/bench/<stamp>/ (raw lines, data.tsv,
# report.md, latency.svg), copied to build/bench/latest.md and latest.svg.
# Exit status non-zero if a boot or a cell failed.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/env.sh"

QUICK=${QUICK:-0}
[ "$QUICK" = 0 ] || [ "$QUICK" = 1 ] || { echo "bench: QUICK must be 0 or 1" >&2; exit 2; }
ROUNDS=${ROUNDS:-2}
RECORD=${RECORD:-0} CELLS=${CELLS:-} SECS=${SECS:-}
RETRY_NOISY=${RETRY_NOISY:-1} NOISY_PCT=${NOISY_PCT:-10}
case "$ROUNDS" in '' | *[!0-9]* | 0) echo "bench: ROUNDS must be a positive number" >&2; exit 2 ;; esac
case "$RETRY_NOISY$NOISY_PCT" in *[!0-9]*) echo "bench: RETRY_NOISY and NOISY_PCT are numbers" >&2; exit 2 ;; esac
# The command line to record, as it would be typed.
CMD="make bench"
[ "$QUICK" = 1 ] && CMD="$CMD QUICK=1"
CMD="$CMD ROUNDS=$ROUNDS"
[ -n "$CELLS" ] && CMD="$CMD CELLS=\"$CELLS\""
[ -n "$SECS" ] && CMD="$CMD SECS=$SECS"
[ "$RECORD" = 1 ] && CMD="$CMD RECORD=1"

# ---- build ----------------------------------------------------------------------
# The production-like kernel: KASAN and lockdep would distort both drivers.
bash "$ROOT/scripts/setup.sh"
KDIR=$(bash "$ROOT/scripts/build-kernel.sh" perf | tail -n1)
export KDIR
MODULE=$(bash "$ROOT/scripts/build-module-copy.sh" "$KDIR" "$ROOT/build/module-perf" | tail -n1)
mkdir -p "$ROOT/build/bench" "$ROOT/build/tools"
make -s -C "$ROOT/benchmarks" KDIR="$KDIR" OUT="$ROOT/build/bench"
gcc -static -O2 -Wall -I"$KDIR/usr-headers/include" -o "$ROOT/build/tools/binderctl" "$ROOT/tools/binderctl.c"
FILES=(--file "$ROOT/build/bench/binder_bench" --file "$ROOT/build/tools/binderctl"
       --file "$ROOT/benchmarks/guest.sh")
# The rsbinder AIDL cell: without cargo (or if the build fails) the cells say
# error=not_built and the rest runs.
if AIDL=$(bash "$ROOT/benchmarks/android/build.sh"); then
    for b in $AIDL; do FILES+=(--file "$b"); done
else
    echo "bench: building the rsbinder AIDL benchmark failed; its cells will be missing" >&2
fi

# A calibrated guest clock (TCG can't calibrate the TSC itself); loglevel=5
# keeps the drivers' informational messages (e.g. failed one-way calls when
# the async space is full) off the slow serial console.
khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
APPEND=(--append "loglevel=5")
[ -n "$khz" ] && APPEND=(--append "tsc_early_khz=$khz tsc=reliable loglevel=5")

GARGS=()
[ "$QUICK" = 1 ] && GARGS+=(-q)
[ -n "$SECS" ] && GARGS+=(-t "$SECS")
for c in $CELLS; do GARGS+=("$c"); done
GUEST="sh /tests/guest.sh ${GARGS[*]}"
TIMEOUT=1200
[ "$QUICK" = 1 ] && TIMEOUT=400

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RUN=$ROOT/build/bench/$STAMP
mkdir -p "$RUN"
DATA=$RUN/data.tsv
: > "$DATA"

# ---- host state ---------------------------------------------------------------
NCPU=$(getconf _NPROCESSORS_ONLN)
HZ=$(getconf CLK_TCK)
# cpu_busy / cpu_steal / cpu_total: jiffies from /proc/stat's cpu line.
cpu_line() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; exit }' /proc/stat; }
# Our reaped children's CPU time (QEMU's included), in jiffies.
our_cpu() { awk '{ sub(/^.*\) /, ""); print $14 + $15 }' "/proc/$$/stat"; }
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
read -r busy0 steal0 total0 < <(cpu_line)
T0=$(date +%s)
others_max=0 others_sum=0 boots=0 noisy=0 vm_secs=0 dropped=0
: > "$RUN/boots.txt"

HOSTNOTE="host: $NCPU CPUs, load average at start $LOAD0"
rb_step "bench: $CMD: $ROUNDS round(s) x 2 drivers on $(basename "$KDIR"); results in $RUN"

fail=0 reruns=0
for r in $(seq 1 "$ROUNDS"); do
    # ABBA: the driver that boots first alternates from round to round.
    order="c rust"
    [ $((r % 2)) = 1 ] || order="rust c"
    for drv in $order; do
        mod=()
        [ "$drv" = rust ] && mod=(--module "$MODULE")
        try=0
        while :; do
            out=$RUN/round$r-$drv.out
            [ "$try" = 0 ] || out=$RUN/round$r-$drv.retry$try.out
            # Take the VM lock here (run-vm.sh then doesn't): the host's load
            # is measured over the boot only, not over the wait for the lock.
            if [ -n "${RB_VM_LOCK:-}" ]; then
                exec 8>>"$RB_VM_LOCK"
                flock 8
            fi
            read -r b0 _ t0 < <(cpu_line)
            o0=$(our_cpu)
            again=
            [ "$try" = 0 ] || again=", again ($try)"
            rb_step "bench: round $r/$ROUNDS, $drv$again"
            set +e
            RB_VM_LOCK='' bash "$ROOT/scripts/run-vm.sh" --driver "$drv" "${mod[@]}" "${APPEND[@]}" \
                --timeout "$TIMEOUT" "${FILES[@]}" "@sh:$GUEST" > "$out" 2>&1
            vrc=$?
            set -e
            read -r b1 _ t1 < <(cpu_line)
            o1=$(our_cpu)
            [ -z "${RB_VM_LOCK:-}" ] || flock -u 8
            # Other processes' share of all CPUs during this boot, in percent.
            others=$(awk -v b="$((b1 - b0))" -v o="$((o1 - o0))" -v t="$((t1 - t0))" \
                'BEGIN { x = t > 0 ? (b - o) / t * 100 : 0; if (x < 0) x = 0; printf "%.0f", x }')
            wall=$(sed -n 's/^# run-vm: .* wall=\([0-9.]*\)s.*/\1/p' "$out")
            vm_secs=$(awk -v a="$vm_secs" -v b="${wall:-0}" 'BEGIN { printf "%.0f", a + b }')
            # A boot that shared the host is run again (its output is kept aside).
            if [ "$others" -ge "$NOISY_PCT" ] && [ "$try" -lt "$RETRY_NOISY" ]; then
                echo "round $r $drv: other processes used ${others}% of the host CPUs (VM ${wall:-?} s): noisy, running it again"
                try=$((try + 1))
                reruns=$((reruns + 1))
                continue
            fi
            break
        done
        boots=$((boots + 1))
        others_sum=$((others_sum + others))
        [ "$others" -le "$others_max" ] || others_max=$others
        echo "$r $drv $others $out" >> "$RUN/boots.txt"
        ncell=$(grep -c '^cell ' "$out" || true)
        nerr=$(grep -c '^cell .*error=' "$out" || true)
        echo "round $r $drv: $ncell cells, $nerr failed, VM ${wall:-?} s, other processes used ${others}% of the host CPUs"
        if [ "$vrc" != 0 ] || [ "$ncell" = 0 ]; then
            echo "bench: the $drv boot of round $r failed (exit status $vrc); its output: $out" >&2
            grep -E '^(not ok|# kernel|# rb-vm|binder_bench|# aidl|# rsb_hub)' "$out" | head -n 20 >&2 || true
            fail=1
        fi
        [ "$nerr" = 0 ] || fail=1
    done
done

# data.tsv: the cells of the boots that count. A boot that was still noisy
# after its retries is left out of the medians if its driver has a quiet one.
while read -r r drv others out; do
    use=1
    if [ "$others" -ge "$NOISY_PCT" ]; then
        if awk -v d="$drv" -v p="$NOISY_PCT" '$2 == d && $3 < p { q = 1 } END { exit !q }' "$RUN/boots.txt"; then
            use=0 dropped=$((dropped + 1))
            echo "bench: round $r $drv left out of the medians (other processes used $others% of the host CPUs)"
        else
            noisy=$((noisy + 1))
        fi
    fi
    [ "$use" = 1 ] || continue
    { grep -E '^cell ' "$out" || true; } | awk -v r="$r" -v d="$drv" '{
        name = ""
        for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "name") name = kv[2] }
        for (i = 2; i <= NF; i++) {
            split($i, kv, "=")
            if (kv[1] != "name" && kv[1] != "calls") print r, d, name, kv[1], kv[2]
        }
    }' >> "$DATA"
done < "$RUN/boots.txt"

read -r busy1 steal1 total1 < <(cpu_line)
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
ELAPSED=$(( $(date +%s) - T0 ))
STEAL=$(awk -v s="$((steal1 - steal0))" -v t="$((total1 - total0))" 'BEGIN { x = t > 0 ? s / t * 100 : 0; printf "%.1f", x }')
OTHERS_AVG=$(( boots ? others_sum / boots : 0 ))
HOSTNOTE="$HOSTNOTE, at end $LOAD1; steal $STEAL%; other processes used ${OTHERS_AVG}% of the CPUs during the boots on average, ${others_max}% at most"
[ "$reruns" = 0 ] || HOSTNOTE="$HOSTNOTE; $reruns noisy boot(s) run again"
[ "$dropped" = 0 ] || HOSTNOTE="$HOSTNOTE; $dropped noisy boot(s) left out of the medians"
[ "$noisy" = 0 ] || HOSTNOTE="$HOSTNOTE; NOISY: $noisy boot(s) in the results shared the host with other work (>= $NOISY_PCT%), compare with care"
GUEST_KERNEL=$(sed -n 's/^# guest: kernel \([^,]*\),.*/\1/p' "$RUN"/round1-c.out 2>/dev/null | head -n1)
REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$ROOT" --no-optional-locks status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    REV="$REV + uncommitted changes"
fi

# ---- report -----------------------------------------------------------------------
TABLE=$(awk -v mode=text -f "$ROOT/benchmarks/report.awk" "$DATA")
echo
echo "bench: rust_binder vs C binder, $ROUNDS round(s), medians; r/C = rust/C"
echo "       (TCG guest: compare only the ratios, never the absolute numbers)"
echo "$TABLE"
echo "$HOSTNOTE"
echo "elapsed ${ELAPSED}s (VMs ${vm_secs}s, the rest building and waiting for other VMs)"

# The chart: p50 and p99 per latency cell, both drivers (gnuplot, if there).
SVG=
if command -v gnuplot >/dev/null; then
    awk -v mode=plot -f "$ROOT/benchmarks/report.awk" "$DATA" > "$RUN/latency.dat"
    if [ -s "$RUN/latency.dat" ]; then
        n=$(wc -l < "$RUN/latency.dat")
        width=$(( n * 45 + 200 ))
        gnuplot <<EOF && SVG=$RUN/latency.svg
set terminal svg size $width,520 dynamic font "sans,11" background rgb "white"
set output "$RUN/latency.svg"
set title "binder round-trip latency per cell (TCG: compare only rust/C), $(date -u +%Y-%m-%d)"
set ylabel "microseconds (log scale)"
set logscale y
set grid ytics
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set boxwidth 0.9
set xtics rotate by -45 noenhanced
set key outside top center horizontal
set yrange [1:*]
plot "$RUN/latency.dat" using 2:xtic(1) title "C p50" lc rgb "#4477aa", \
     "" using 3 title "rust p50" lc rgb "#ee6677", \
     "" using 4 title "C p99" lc rgb "#88aadd", \
     "" using 5 title "rust p99" lc rgb "#ffaabb"
EOF
    fi
else
    echo "bench: gnuplot not installed (scripts/setup.sh installs gnuplot-nox): no chart" >&2
fi
MD=$RUN/report.md
{
    echo "# rust_binder benchmarks"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- command: \`$CMD\` ($ROUNDS round(s) per driver, boots in the order c, rust, rust, c, ...)"
    echo "- kernel: ${GUEST_KERNEL:-?} ($(basename "$KDIR"), perf flavour), QEMU TCG, 2 vCPUs"
    echo "- rust_binder: $REV"
    echo "- $HOSTNOTE"
    echo "- elapsed: ${ELAPSED}s, of which the VMs ran ${vm_secs}s"
    [ "$QUICK" = 0 ] || echo "- QUICK: a subset of the cells, 2-second cells: indicative only"
    echo
    echo "Under TCG (no KVM) absolute times are those of an emulator: only the rust_binder/C"
    echo "ratios, measured the same way on the same host, mean anything. Medians over the"
    echo "rounds; spread = (max - min) / median over the rounds."
    echo
    awk -v mode=markdown -f "$ROOT/benchmarks/report.awk" "$DATA"
    echo
    echo "### Table as printed"
    echo
    echo '```'
    echo "$TABLE"
    echo '```'
    if [ -n "$SVG" ]; then
        echo
        echo "![p50 and p99 latency per cell](latency.svg)"
    fi
} > "$MD"

# copy_report DEST_MD DEST_SVG: the report next to its chart, under other names.
copy_report() {
    sed "s|](latency.svg)|]($(basename "$2"))|" "$MD" > "$1"
    if [ -n "$SVG" ]; then cp "$SVG" "$2"; else rm -f "$2"; fi
}
copy_report "$ROOT/build/bench/latest.md" "$ROOT/build/bench/latest.svg"
echo "report: $MD${SVG:+, chart: $SVG}"
if [ "$RECORD" = 1 ]; then
    copy_report "$ROOT/benchmarks/RESULTS.md" "$ROOT/benchmarks/RESULTS.svg"
    echo "recorded: benchmarks/RESULTS.md${SVG:+, benchmarks/RESULTS.svg}"
fi
exit $fail
