#!/bin/sh
# rust_binder stress: runs binder_fuzz (in the VM) once per seed; TAP.
#
#   sh fuzz_seeds.sh OPS SECONDS SEED...
#
# Each seed is one test point: ok when binder_fuzz exits 0 ("# result: ok",
# no hang, no unexpected answer), with its seed and operation count; a
# failing seed replays with: binder_fuzz -s SEED -n OPS -t SECONDS.
# The last line sums the operations: "# fuzz: total ops=N seeds=K".
ops=${1:?usage: fuzz_seeds.sh OPS SECONDS SEED...}
secs=${2:?}
shift 2
echo "1..$#"
n=0 total=0
for s in "$@"; do
    n=$((n + 1))
    out=$(binder_fuzz -s "$s" -n "$ops" -t "$secs" 2>&1)
    rc=$?
    line=$(echo "$out" | grep '^fuzz: seed=' | tail -n1)
    done_ops=$(echo "$line" | sed -n 's/.* ops=\([0-9]*\).*/\1/p')
    total=$((total + ${done_ops:-0}))
    echo "$out" | grep -E '^# (result|ops|forks|FAIL|HANG|hang|note|state)' | head -n 40 | sed 's/^/# /'
    if [ "$rc" = 0 ] && [ -n "$line" ]; then
        echo "ok $n - fuzz seed $s: ${done_ops} operations (${line##* })"
    else
        echo "$out" | grep -vE '^(# |fuzz:)' | tail -n 20 | sed 's/^/# /'
        echo "not ok $n - fuzz seed $s: exit status $rc (replay: binder_fuzz -s $s -n $ops -t $secs)"
    fi
done
echo "# fuzz: total ops=$total seeds=$#"
