#!/bin/sh
# rust_binder: Android-style userspace binder test, run INSIDE the VM (busybox sh).
#
# Usage: run.sh [BINDIR]     BINDIR holds rsb_hub, rb-android-service,
#                            rb-android-client, rb-binderfs-mkdev
#                            (default: the directory of this script)
#
# Mounts binderfs at /dev/binderfs if needed, creates the "binder" device if it
# is missing (BINDER_CTL_ADD), starts rsb_hub (the service manager) and the
# service, runs the client (its cases are listed by `rb-android-client --list`),
# SIGKILLs the service once the client has linked to its death, stops rsb_hub,
# and undoes the setup. Prints TAP (plan first) and exits non-zero on failure.
# Every wait is bounded; every process runs under busybox `timeout`.
#
# Environment: RB_DEVICE   binder device name (default binder; rsb_hub only
#                          looks under /dev/binderfs)
#              RB_DEVICE_PATH  the path the service and the client open
#                          (default /dev/binderfs/$RB_DEVICE; e.g. the
#                          /dev/anbox-binder symlink of the Waydroid flow)
#              RUST_LOG    passed on (env_logger filter for all three programs)

BIN=${1:-$(cd "$(dirname "$0")" && pwd)}
FS=/dev/binderfs
DEV=${RB_DEVICE:-binder}
DEVPATH=${RB_DEVICE_PATH:-$FS/$DEV}
NAME=rb.android.ITestService/default
HUB=$BIN/rsb_hub SVC=$BIN/rb-android-service CLI=$BIN/rb-android-client MKDEV=$BIN/rb-binderfs-mkdev

# Limits, in seconds (TCG guests are slow; nothing here should need more than
# a few seconds).
T_START=30      # rsb_hub / the service to come up
T_CLIENT=180    # the whole client run
T_ARM=150       # the client to reach the death case
T_DEATH=30      # binder_died after the SIGKILL
T_STOP=15       # rsb_hub to exit after SIGTERM
T_PROC=300      # hard limit on any background process

n=0 failed=0 MOUNTED=0 CREATED=0 HUB_PID='' SVC_PID='' CLIENT_PID=''
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
diag() { echo "# $*"; }
# show_log FILE TITLE: a log as TAP diagnostics (at most 60 lines).
show_log() { [ -s "$1" ] && { diag "--- $2:"; head -n 60 "$1" | sed 's/^/#   /'; }; }
# alive PID: the process exists and is not a zombie.
alive() {
    [ -n "$1" ] || return 1
    s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    s=${s##*) }
    [ "${s%% *}" != Z ]
}
# wait_for TENTHS CMD...: poll CMD every 0.1 s until it succeeds.
wait_for() {
    i=0 lim=$1; shift
    until "$@"; do
        [ "$i" -ge "$lim" ] && return 1
        sleep 0.1; i=$((i + 1))
    done
}
# gone: $GONE_PID has exited (for wait_for).
gone() { ! alive "$GONE_PID"; }
# stop PID SIG TENTHS: signal PID, wait for it to go, SIGKILL after TENTHS; reaps
# it and returns its exit status.
stop() {
    alive "$1" || { wait "$1" 2>/dev/null; return; }
    kill -"$2" "$1" 2>/dev/null
    GONE_PID=$1
    wait_for "$3" gone || kill -9 "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}
cleanup() {
    for p in $CLIENT_PID $SVC_PID $HUB_PID; do alive "$p" && stop "$p" KILL 50; done
    CLIENT_PID='' SVC_PID='' HUB_PID=''
    cd /
    if [ "$MOUNTED" = 1 ]; then
        umount "$FS" 2>/dev/null || umount -l "$FS"
    elif [ "$CREATED" = 1 ]; then
        rm -f "$FS/$DEV"
    fi
    rm -rf "$W"
}
bail() {
    show_log "$W/hub.log" "rsb_hub output"
    show_log "$W/service.log" "service output"
    echo "Bail out! $*"
    cleanup
    exit 1
}

for b in "$HUB" "$SVC" "$CLI" "$MKDEV"; do
    [ -x "$b" ] || { echo "1..1"; echo "not ok 1 - missing program $b"; exit 1; }
done
W=$(mktemp -d /tmp/rb-android.XXXXXX) || exit 1
trap 'cleanup; exit 1' INT TERM

CASES=$("$CLI" --count) || CASES=0
echo "1..$((CASES + 7))"
diag "rb-android: $(uname -r), binder module(s): $(grep -oE '^(binder_linux|rust_binder) ' /proc/modules | tr -d ' ' | tr '\n' ' ')"

# ---- 1. binderfs -----------------------------------------------------------
if grep -q " $FS binder " /proc/mounts; then
    ok "binderfs mounted at $FS (already)"
else
    mkdir -p "$FS"
    if mount -t binder binder "$FS" 2>"$W/mount.err"; then
        MOUNTED=1
        ok "binderfs mounted at $FS"
    else
        not_ok "binderfs mounted at $FS"
        show_log "$W/mount.err" "mount"
        bail "no binderfs"
    fi
fi

# ---- 2. the binder device ------------------------------------------------------
if [ -c "$FS/$DEV" ]; then
    ok "binder device $FS/$DEV (present)"
elif "$MKDEV" "$FS/binder-control" "$DEV" >"$W/mkdev.out" 2>&1 && [ -c "$FS/$DEV" ]; then
    CREATED=1
    ok "binder device $FS/$DEV (BINDER_CTL_ADD: $(cat "$W/mkdev.out"))"
else
    not_ok "binder device $FS/$DEV"
    show_log "$W/mkdev.out" "rb-binderfs-mkdev"
    bail "no binder device"
fi

# ---- 3. rsb_hub, the service manager -------------------------------------------
# rsb_hub logs "serving on" (info) once BINDER_SET_CONTEXT_MGR(_EXT) succeeded;
# waiting for that first keeps failed transactions to handle 0 (and the
# driver's messages about them) out of the kernel log.
RUST_LOG="${RUST_LOG:+$RUST_LOG,}rsb_hub=info" \
    timeout -s KILL "$T_PROC" "$HUB" --device "$DEV" --insecure-allow-all >"$W/hub.log" 2>&1 </dev/null &
HUB_PID=$!
hub_up() { grep -q "serving on" "$W/hub.log" || ! alive "$HUB_PID"; }
wait_for $((T_START * 10)) hub_up
if alive "$HUB_PID" && timeout -s KILL 20 "$CLI" --device "$DEVPATH" --ping-hub >"$W/ping.log" 2>&1; then
    ok "rsb_hub is the context manager (answers on handle 0)"
else
    not_ok "rsb_hub is the context manager (answers on handle 0)"
    show_log "$W/ping.log" "rb-android-client --ping-hub"
    bail "rsb_hub did not come up"
fi

# ---- 4. the service ----------------------------------------------------------
timeout -s KILL "$T_PROC" "$SVC" --device "$DEVPATH" --name "$NAME" --ready-file "$W/service.ready" \
    >"$W/service.log" 2>&1 </dev/null &
SVC_PID=$!
svc_up() { [ -s "$W/service.ready" ] || ! alive "$SVC_PID"; }
if wait_for $((T_START * 10)) svc_up && [ -s "$W/service.ready" ] && alive "$SVC_PID"; then
    ok "service registered with rsb_hub as $NAME (pid $SVC_PID)"
else
    not_ok "service registered with rsb_hub as $NAME"
    bail "service did not come up"
fi

# ---- 5. the client (its own cases; the death case waits for the SIGKILL) -------
timeout -s KILL "$T_CLIENT" "$CLI" --device "$DEVPATH" --name "$NAME" --armed-file "$W/armed" \
    --death-timeout "$T_DEATH" >"$W/client.out" 2>"$W/client.err" </dev/null &
CLIENT_PID=$!
armed() { [ -s "$W/armed" ] || ! alive "$CLIENT_PID"; }
KILLED=0
if wait_for $((T_ARM * 10)) armed && [ -s "$W/armed" ]; then
    apid=$(cat "$W/armed")
    [ "$apid" = "$SVC_PID" ] || diag "the service says its pid is $apid, run.sh started $SVC_PID"
    kill -KILL "$SVC_PID" && KILLED=1
fi
GONE_PID=$CLIENT_PID
wait_for $((T_CLIENT * 10)) gone
wait "$CLIENT_PID"
crc=$?
CLIENT_PID=
# Renumber the client's TAP into ours; its plan line is dropped.
seen=0
while IFS= read -r line; do
    case "$line" in
        "ok "[0-9]*) seen=$((seen + 1)); rest=${line#ok }; ok "${rest#* - }" ;;
        "not ok "[0-9]*) seen=$((seen + 1)); rest=${line#not ok }; not_ok "${rest#* - }" ;;
        1..*) ;;
        *) echo "$line" ;;
    esac
done <"$W/client.out"
while [ "$seen" -lt "$CASES" ]; do
    seen=$((seen + 1))
    not_ok "client case $seen: no result (client exit status $crc)"
done
if [ "$crc" != 0 ]; then
    diag "client exit status $crc"
    show_log "$W/client.err" "client stderr"
fi

# ---- 6. teardown ---------------------------------------------------------------
if [ "$KILLED" = 1 ]; then
    wait "$SVC_PID"
    src=$?
    if [ "$src" = 137 ]; then ok "service died of SIGKILL"; else not_ok "service died of SIGKILL (exit status $src)"; fi
else
    not_ok "service died of SIGKILL (the client never armed the death case)"
    stop "$SVC_PID" KILL 50
fi
SVC_PID=

if alive "$HUB_PID"; then
    stop "$HUB_PID" TERM $((T_STOP * 10))
    hrc=$?
    if [ "$hrc" = 0 ]; then ok "rsb_hub stopped cleanly on SIGTERM"; else not_ok "rsb_hub stopped cleanly on SIGTERM (exit status $hrc)"; fi
else
    wait "$HUB_PID"
    not_ok "rsb_hub stopped cleanly on SIGTERM (it had already exited, status $?)"
fi
HUB_PID=
[ "$failed" = 0 ] || { show_log "$W/hub.log" "rsb_hub output"; show_log "$W/service.log" "service output"; }

if [ "$MOUNTED" = 1 ]; then
    if umount "$FS" 2>"$W/umount.err"; then
        MOUNTED=0
        ok "binderfs unmounted"
    else
        not_ok "binderfs unmounted"
        show_log "$W/umount.err" "umount"
    fi
elif [ "$CREATED" = 1 ]; then
    if rm "$FS/$DEV"; then CREATED=0; ok "binder device $DEV removed"; else not_ok "binder device $DEV removed"; fi
else
    ok "nothing to undo on binderfs"
fi
cleanup
[ "$failed" = 0 ] || diag "rb-android: $failed of $n failed"
[ "$failed" = 0 ]
