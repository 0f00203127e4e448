#!/bin/sh
# rust_binder: where a benchmark cell's time goes in the driver (issue 9),
# run in the guest by scripts/bench-profile.sh. Uses the kernel's function
# profiler (CONFIG_FUNCTION_PROFILER with the graph tracer: per function
# hit count and total time including children) over the binder module's own
# functions while one cell runs, then prints the top functions by total
# time, per CPU summed. Under TCG only the shares matter, not the times.
#
# Mode "calls": every traceable kernel function (no filter), sorted by hit
# count and divided by the cell's calls: what one call costs in kernel
# calls (refcount helpers, user copies, locks, wake-ups), on either driver.
#
# Mode "insns": the guest instructions of the cell, counted by the TCG
# plugin benchmarks/tcg_profile.c (scripts/bench-profile.sh loads it): this
# script prints the module's symbols ("# ksym:") and brackets the measured
# run with sync(2), whose entry makes the plugin take a snapshot; the host
# attributes the difference to functions (benchmarks/tcg_report.py).
#
# Mode "sample" (third argument, or PROFILE_MODE=sample): instead, the
# sampling profiler benchmarks/ksample (perf cpu-clock samples of kernel
# IPs on every CPU, resolved with /proc/kallsyms), which also sees the Rust
# module's own functions: top functions by samples, and the share of the
# binder module against the rest of the kernel.
#
#   profile.sh CELL [SECONDS [ftrace|sample|calls]]
cell=${1:?usage: profile.sh CELL [SECONDS [ftrace|sample]]}
secs=${2:-4}
mode=${3:-${PROFILE_MODE:-ftrace}}
case $mode in ftrace|sample|calls|insns) ;; *) echo "profile.sh: unknown mode $mode" >&2; exit 2 ;; esac
T=/sys/kernel/tracing
[ -d $T/trace_stat ] || mount -t tracefs nodev $T 2>/dev/null
mod=$(grep -oE '^(binder_linux|rust_binder) ' /proc/modules | tr -d ' ')
FS=/dev/binderfs
mkdir -p $FS && mount -t binder binder $FS && binderctl add $FS binder >/dev/null || exit 1
if [ "$mode" = sample ]; then
    echo "# profile: cell $cell, driver $mod, ${secs}s, sampled (ksample)"
    # Warm-up run, then the sampled one.
    binder_bench -d $FS/binder -t 1 "$cell" > /dev/null
    ksample -c -- binder_bench -d $FS/binder -t "$secs" "$cell"
    rc=$?
    umount $FS
    exit $rc
fi
if [ "$mode" = insns ]; then
    echo "# profile: cell $cell, driver $mod, ${secs}s, instructions (tcg_profile)"
    grep -E "\[$mod\]" /proc/kallsyms | sed 's/^/# ksym: /'
    binder_bench -d $FS/binder -t 1 "$cell" > /dev/null
    sync
    binder_bench -d $FS/binder -t "$secs" "$cell"
    sync
    umount $FS
    exit 0
fi
if [ "$mode" = calls ]; then
    echo "# profile: cell $cell, driver $mod, ${secs}s, calls per call"
    echo > $T/set_ftrace_filter
    binder_bench -d $FS/binder -t 1 "$cell" > /dev/null
    echo 1 > $T/function_profile_enabled
    binder_bench -d $FS/binder -t "$secs" "$cell" > /tmp/cell.out
    echo 0 > $T/function_profile_enabled
    cat /tmp/cell.out
    n=$(sed -n 's/^cell .* calls=\([0-9]*\) .*/\1/p' /tmp/cell.out | head -n1)
    [ -n "$n" ] && [ "$n" -gt 0 ] 2>/dev/null || { echo "# profile: no call count in the cell's output"; n=1; }
    cat $T/trace_stat/function* | awk -v n="$n" '
        $1 == "Function" || $1 ~ /^-+$/ || NF < 4 { next }
        { hits[$1] += $2 }
        END { for (f in hits) printf "%12.2f %s\n", hits[f] / n, f }' |
        sort -rn | head -n 70 | awk '{ printf "# prof: %-48s per_call %8.2f\n", $2, $1 }'
    umount $FS
    exit 0
fi
echo "# profile: cell $cell, driver $mod, ${secs}s"
# The module's own functions (C: all of binder_linux; Rust code has no
# fentry hooks in 6.12, so for rust_binder only its C-side helpers), plus
# the kernel functions a round trip goes through, the same for both
# drivers: their hit counts per call say what each driver does per call.
echo > $T/set_ftrace_filter
echo ":mod:$mod" >> $T/set_ftrace_filter 2>/dev/null
for g in 'mutex_lock*' 'mutex_unlock*' '_raw_spin_lock*' '__kmalloc*' 'kmalloc_trace*' \
    'kfree' 'kvfree' '__kvmalloc*' 'kvrealloc*' '__vmalloc*' 'vfree' 'krealloc*' \
    'try_to_wake_up' '__wake_up*' 'schedule' 'prepare_to_wait*' 'finish_wait' \
    '_copy_from_user' '_copy_to_user' 'vm_insert_page' 'zap_page_range_single' \
    '__alloc_pages*' '__free_pages*' 'mmget_not_zero' 'mmput*' 'down_read*' 'up_read' \
    'lock_vma_under_rcu' 'find_vma' 'vma_lookup' 'fdget*' 'fput*' 'security_binder*' \
    'rb_insert_color' 'rb_erase' 'kmem_cache_alloc*' 'kmem_cache_free'; do
    echo "$g" >> $T/set_ftrace_filter 2>/dev/null
done
echo "# $(wc -l < $T/set_ftrace_filter) functions traced"
# Warm-up run, then the profiled one.
binder_bench -d $FS/binder -t 1 "$cell" > /dev/null
echo 1 > $T/function_profile_enabled
binder_bench -d $FS/binder -t "$secs" "$cell"
echo 0 > $T/function_profile_enabled
# Sum the per-CPU tables: Function Hit Time Avg s^2 (times in us).
cat $T/trace_stat/function* | awk '
    $1 == "Function" || $1 ~ /^-+$/ || NF < 4 { next }
    { hits[$1] += $2; t[$1] += $3 }
    END { for (f in t) printf "%12.1f %10d %s\n", t[f], hits[f], f }' |
    sort -rn | head -n 40 | awk '{ printf "# prof: %-48s hits %9d  total_us %12.1f\n", $3, $2, $1 }'
echo > $T/set_ftrace_filter
umount $FS
