#!/bin/sh
# rust_binder stress: module unload loop (rust_binder only; the C driver
# can't be unloaded). Runs inside the run-vm.sh guest (busybox sh) as an
# @sh: test, with unload_holder, leak_oracle and stress_kill (and
# binder_fuzz if present) copied into /tests with --file:
#
#   unload_loop.sh [ROUNDS] [BURST_SECS]       (defaults 3 and 4)
#
# Each round: insmod, mount binderfs (stats=global), rmmod while mounted
# must fail with EAGAIN/EBUSY, a short stress burst (stress_kill, killed
# with SIGKILL in the middle; binder_fuzz for BURST_SECS if present), the
# leak oracle (all active counters 0), umount, rmmod (must succeed within
# 15 s), and the module must be gone from /proc/modules.
# Then rmmod while a binder fd is held (the mount lazily detached):
#   zombie      by a process whose leader thread exited (zombie) while
#               another thread keeps the fd
#   scm         in flight in an SCM_RIGHTS message on a unix socket
#   epoll       in an epoll set (after BINDER_THREAD_EXIT of the polled
#               thread)
# rmmod must fail with EAGAIN/EBUSY and the module must stay loaded; after
# releasing the holder, rmmod must succeed. And rmmod must succeed while
#   reaped-zombie   an unreaped zombie child used binder (files closed)
#   scm-cycle       the fd is only referenced by a unix-socket garbage
#                   cycle (freed by the unix GC)
# At the end the module is loaded again (run-vm.sh unloads it and runs
# kmemleak). Prints "ok - unload: ..." / "not ok - unload: ..." lines;
# exit status 1 if any failed.

ROUNDS=${1:-3}
BURST=${2:-4}
. /etc/rb.conf
MOD=/lib/modules/$MODFILE
MNT=/tmp/ul_mnt
FAILS=0
N=0
export PATH=/tests:$PATH

ok() { N=$((N + 1)); echo "ok - unload: $*"; }
notok() { N=$((N + 1)); FAILS=$((FAILS + 1)); echo "not ok - unload: $*"; }
check() { # check COND-STATUS DESCRIPTION
    if [ "$1" = 0 ]; then ok "$2"; else notok "$2"; fi
}
loaded() { grep -q "^$MODNAME " /proc/modules; }
refcnt() { awk -v m="$MODNAME" '$1 == m { print $3 }' /proc/modules; }

ensure_loaded() {
    loaded && return 0
    # shellcheck disable=SC2086
    insmod "$MOD" $PARAMS || { notok "insmod $MODFILE $PARAMS"; return 1; }
}

# rmmod_expect_busy WHAT: rmmod must fail with EAGAIN/EBUSY, module stays.
rmmod_expect_busy() {
    out=$(unload_holder rmmod "$MODNAME")
    rc=$?
    if [ $rc = 0 ]; then
        notok "rmmod succeeded while $1 (expected EAGAIN/EBUSY)"
        return 1
    fi
    case "$out" in
        EAGAIN|EBUSY) ;;
        *) notok "rmmod while $1 failed with $out (expected EAGAIN/EBUSY)"; return 1 ;;
    esac
    if ! loaded; then
        notok "module gone after a failed rmmod while $1"
        return 1
    fi
    ok "rmmod while $1: $out, module still loaded (refcnt $(refcnt))"
}

# rmmod_retry WHAT: rmmod must succeed within 15 s (the unix GC is kicked
# every second: a garbage cycle of unix sockets is only collected when a
# unix socket with fds in flight is closed).
rmmod_retry() {
    i=0
    while [ $i -lt 15 ]; do
        unload_holder gc-kick
        if out=$(unload_holder rmmod "$MODNAME"); then
            if loaded; then
                notok "rmmod returned 0 but $MODNAME is still in /proc/modules ($1)"
                return 1
            fi
            if [ $i -gt 0 ]; then ok "rmmod $1 (after ${i}s)"; else ok "rmmod $1"; fi
            return 0
        fi
        i=$((i + 1))
        sleep 1
    done
    notok "rmmod $1: still failing after 15 s: $out (refcnt $(refcnt))"
    grep "^$MODNAME " /proc/modules | sed 's/^/# /'
    return 1
}

mount_bfs() {
    mkdir -p $MNT
    mount -t binder -o stats=global binder $MNT || { notok "mount binderfs"; return 1; }
    unload_holder mkdev $MNT binder || { notok "BINDER_CTL_ADD"; return 1; }
}

burst() {
    # stress_kill in its own binderfs; SIGKILLed in the middle of its storm.
    stress_kill -t 30 -c 3 -n 2 -k 20,150 -s "$1" > /tmp/ul_sk.out 2>&1 &
    skpid=$!
    sleep "$BURST"
    kill -9 $skpid 2>/dev/null
    wait $skpid 2>/dev/null
    if [ -x /tests/binder_fuzz ]; then
        binder_fuzz -s "$1" -n 100000000 -t "$BURST" > /tmp/ul_fz.out 2>&1 &
        fzpid=$!
        sleep $((BURST + 1))
        kill -9 $fzpid 2>/dev/null
        wait $fzpid 2>/dev/null
    fi
}

echo "# unload_loop: $ROUNDS rounds, bursts of $BURST s, module $MODNAME ($MODFILE)"
r=1
while [ $r -le "$ROUNDS" ]; do
    ensure_loaded || break
    mount_bfs || break
    rmmod_expect_busy "binderfs is mounted (round $r)"
    burst $r
    # Children of the killed storm die with it (PDEATHSIG); give them a moment.
    sleep 1
    out=$(leak_oracle -t 30 $MNT)
    check $? "round $r: leak oracle after the burst: $(echo "$out" | head -n1 | sed 's/^# //')"
    [ -n "$out" ] && echo "$out" | tail -n +2 | head -n 60
    umount $MNT || { notok "umount (round $r)"; umount -l $MNT; }
    rmmod_retry "after round $r"
    r=$((r + 1))
done

for mode in zombie scm epoll; do
    ensure_loaded || break
    mount_bfs || break
    rm -f /tmp/ul_ready
    unload_holder $mode $MNT/binder /tmp/ul_ready &
    hpid=$!
    i=0
    while [ ! -e /tmp/ul_ready ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    if [ ! -e /tmp/ul_ready ]; then
        notok "$mode: holder did not get ready"
        kill -9 $hpid 2>/dev/null; wait $hpid 2>/dev/null
        umount -l $MNT
        continue
    fi
    if [ $mode = zombie ]; then
        st=$(awk '/^State:/ { print $2 }' /proc/$hpid/status 2>/dev/null)
        [ "$st" = Z ] && ok "zombie: holder $hpid is a zombie (State Z) holding the fd" ||
            notok "zombie: holder state is '$st', not Z"
    fi
    umount -l $MNT
    rmmod_expect_busy "a binder fd is held ($mode)"
    if [ $mode = zombie ]; then kill -9 $hpid; else kill -TERM $hpid; fi
    wait $hpid 2>/dev/null
    rmmod_retry "after releasing the $mode holder"
done

for mode in reaped-zombie scm-cycle; do
    ensure_loaded || break
    mount_bfs || break
    rm -f /tmp/ul_ready
    unload_holder $mode $MNT/binder /tmp/ul_ready &
    hpid=$!
    i=0
    while [ ! -e /tmp/ul_ready ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    [ -e /tmp/ul_ready ] || notok "$mode: holder did not get ready"
    umount -l $MNT
    rmmod_retry "with a $mode (nothing holds the module)"
    kill -TERM $hpid 2>/dev/null
    wait $hpid 2>/dev/null
done

ensure_loaded && ok "module loaded again for run-vm's final rmmod and kmemleak scan"
echo "# unload_loop: $N checks, $FAILS failed"
[ $FAILS = 0 ]
