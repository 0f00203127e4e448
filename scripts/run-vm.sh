#!/usr/bin/env bash
# rust_binder: boot the cached QEMU test kernel with one binder driver loaded
# and run static test binaries in it; print their TAP output and a verdict.
#
# Usage: scripts/run-vm.sh --driver rust|c [--module PATH] [--params "devices=a,b"]
#            [--kmemleak] [--log FILE] [--timeout SECS] [--oops-grace SECS]
#            [--keep] TEST...
#
#   --driver c     load $KDIR/drivers/android/binder_linux.ko (can't be unloaded)
#   --driver rust  load --module (default <repo>/rust_binder.ko); after the
#                  tests, unmount any leftover binderfs and rmmod it, reported
#                  as "ok - rmmod NAME" / "not ok - rmmod NAME"
#   --params       module parameters passed to insmod (e.g. "devices=a,b,c")
#   --kmemleak     boot with kmemleak=on, clear it after insmod; after the
#                  tests (and the unload) scan twice and fail on any leak
#   --log FILE     console (ttyS0) log; default <repo>/build/logs/<stamp>-<driver>.console.log
#                  The TAP stream (ttyS1) is saved next to it as *.tap
#   --timeout SECS hard limit for the whole VM run (default 600)
#   --oops-grace SECS  once the console shows an Oops or panic, stop the VM
#                  if it hasn't finished SECS later (default 60)
#   --keep         keep the temporary initramfs directory (prints its path)
#   --append ARGS  extra kernel command-line arguments
#   --plugin SPEC  load a QEMU TCG plugin (-plugin SPEC, e.g.
#                  "tcg_profile.so,out=F,mark=ADDR") and run the vCPUs in
#                  one thread (tcg,thread=single), so its counts are exact
#   --file PATH    also copy PATH into the guest's /tests (on PATH there),
#                  without running it (tools and scripts for @sh: entries)
#   --dir PATH     also copy the directory PATH into the guest's /tests
#                  (as /tests/<basename>), without running anything in it
#   --modprobe     don't insmod the driver: install it as a distribution
#                  would, /lib/modules/<release>/extra/rust_binder.ko (rust)
#                  or kernel/drivers/android/binder_linux.ko (c), with
#                  modules.dep and modules.alias made by the host's depmod,
#                  so that the tests load it with (busybox) modprobe or
#                  `mount -t binder`; at the end rmmod only if it is loaded
#   --modules-tree DIR  with --modprobe: DIR is the lib/modules/<release>
#                  tree to install (e.g. a DKMS --installtree's), instead
#   TEST           a static binary on the host (optionally PATH::ARGS, e.g.
#                  a kselftest binary with "-T name" filters), run in the guest as root in
#                  /tmp (stdout+stderr go to the TAP stream), or the special
#                  form "@sh:COMMAND", a busybox shell command whose exit
#                  status is reported as "ok - sh: COMMAND" / "not ok - ...".
#
# Environment: KDIR overrides the kernel build directory (default: rb_kdir);
# RB_VM_LOCK=FILE makes VMs started with the same FILE run one at a time;
# RB_MON=SOCKET gives QEMU's monitor on that unix socket (e.g. to read
# "info jit", the TCG's translation and TLB-flush counts, during a boot).
# The guest has busybox, uid/gid 1000 "rbtest" in /etc/passwd, proc, sysfs,
# devtmpfs, devpts, tmpfs /tmp and debugfs mounted.
#
# Exit status is non-zero if a test binary exited non-zero, the VM timed out
# or didn't finish, rmmod failed, kmemleak listed a leak, or the console log
# shows a kernel problem (WARNING, BUG, Oops, KASAN, lockdep, refcount_t,
# kmemleak, panic, ...). Every such problem is also printed as a TAP line
# "not ok - vm: ..." so that counting "not ok" lines counts it.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=env.sh
. "$ROOT/scripts/env.sh"

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }

DRIVER= MODULE= PARAMS= KMEMLEAK=0 LOG= TIMEOUT=600 OOPS_GRACE=60 KEEP=0
TESTS=() FILES=() DIRS=() EXTRA_APPEND= MODPROBE=0 MODTREE= PLUGIN=()
while [ $# -gt 0 ]; do
    case "$1" in
        --driver) DRIVER=${2:?}; shift 2 ;;
        --module) MODULE=${2:?}; shift 2 ;;
        --params) PARAMS=${2-}; shift 2 ;;
        --kmemleak) KMEMLEAK=1; shift ;;
        --log) LOG=${2:?}; shift 2 ;;
        --timeout) TIMEOUT=${2:?}; shift 2 ;;
        --oops-grace) OOPS_GRACE=${2:?}; shift 2 ;;
        --keep) KEEP=1; shift ;;
        --file) FILES+=("${2:?}"); shift 2 ;;
        --dir) DIRS+=("${2:?}"); shift 2 ;;
        --modprobe) MODPROBE=1; shift ;;
        --modules-tree) MODTREE=${2:?}; shift 2 ;;
        --plugin) PLUGIN=(-plugin "${2:?}"); shift 2 ;;
        --append) EXTRA_APPEND="${EXTRA_APPEND:+$EXTRA_APPEND }${2:?}"; shift 2 ;;
        -h|--help) usage ;;
        --) shift; TESTS+=("$@"); break ;;
        -*) echo "run-vm: unknown option $1" >&2; usage ;;
        *) TESTS+=("$1"); shift ;;
    esac
done

KDIR=${KDIR:-$(rb_kdir)}
BZIMAGE=$KDIR/arch/x86/boot/bzImage
[ -f "$KDIR/.rb-done" ] && [ -f "$BZIMAGE" ] ||
    { echo "run-vm: no built kernel in $KDIR (run scripts/build-kernel.sh)" >&2; exit 2; }
case "$DRIVER" in
    c) MODULE=$KDIR/drivers/android/binder_linux.ko; UNLOAD=0 ;;
    rust) MODULE=${MODULE:-$ROOT/rust_binder.ko}; UNLOAD=1 ;;
    *) echo "run-vm: --driver rust|c is required" >&2; usage ;;
esac
[ -f "$MODULE" ] || { echo "run-vm: no module $MODULE" >&2; exit 2; }
[ -z "$MODTREE" ] || [ "$MODPROBE" = 1 ] || { echo "run-vm: --modules-tree needs --modprobe" >&2; exit 2; }
[ -z "$MODTREE" ] || [ -d "$MODTREE" ] || { echo "run-vm: no directory $MODTREE" >&2; exit 2; }
KREL=$(cat "$KDIR/include/config/kernel.release")
# The kernel's module name (for rmmod): from modinfo, else the file name.
MODNAME=$(modinfo -F name "$MODULE" 2>/dev/null || true)
[ -n "$MODNAME" ] || MODNAME=$(basename "$MODULE" .ko | tr - _)
case "$PARAMS" in *"'"*) echo "run-vm: --params must not contain a single quote" >&2; exit 2 ;; esac

if [ -z "$LOG" ]; then
    mkdir -p "$ROOT/build/logs"
    LOG=$ROOT/build/logs/$(date -u +%Y%m%dT%H%M%S)-$$-$DRIVER.console.log
fi
mkdir -p "$(dirname "$LOG")"
LOG=$(cd "$(dirname "$LOG")" && pwd)/$(basename "$LOG")
TAP=${LOG%.console.log}; TAP=${TAP%.log}.tap

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rb-vm.XXXXXX")
QPID= TPID=
cleanup() {
    # timeout(1) runs in its own process group: stop it (and so QEMU) by pid.
    [ -z "$QPID" ] || kill "$QPID" 2>/dev/null || true
    [ -z "$TPID" ] || kill "$TPID" 2>/dev/null || true
    if [ "$KEEP" = 1 ]; then echo "# run-vm: kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# ---- initramfs ------------------------------------------------------------
IR=$WORK/root
mkdir -p "$IR"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc,root,home/rbtest,lib/modules,tests,rb}
cp /bin/busybox "$IR/bin/busybox"
/bin/busybox --list-full | while read -r applet; do
    [ "$applet" = bin/busybox ] || [ -e "$IR/$applet" ] || ln -s /bin/busybox "$IR/$applet"
done
cp "$MODULE" "$IR/lib/modules/"
if [ "$MODPROBE" = 1 ]; then
    # The driver installed as a distribution (or DKMS) would install it;
    # the busybox modprobe reads the host depmod's modules.dep/.alias.
    MD=$IR/lib/modules/$KREL
    mkdir -p "$MD"
    if [ -n "$MODTREE" ]; then
        cp -a "$MODTREE/." "$MD/"
    elif [ "$DRIVER" = c ]; then
        mkdir -p "$MD/kernel/drivers/android" && cp "$MODULE" "$MD/kernel/drivers/android/"
    else
        mkdir -p "$MD/extra" && cp "$MODULE" "$MD/extra/"
    fi
    for f in modules.order modules.builtin modules.builtin.modinfo; do
        [ -e "$MD/$f" ] || : > "$MD/$f"
    done
    /sbin/depmod -b "$IR" "$KREL" ||
        { echo "run-vm: depmod -b $IR $KREL failed" >&2; exit 2; }
fi
printf 'root:x:0:0:root:/root:/bin/sh\nrbtest:x:1000:1000:rbtest:/home/rbtest:/bin/sh\n' > "$IR/etc/passwd"
printf 'root:x:0:\nrbtest:x:1000:\n' > "$IR/etc/group"

for f in ${FILES[@]+"${FILES[@]}"}; do
    cp "$f" "$IR/tests/$(basename "$f")"
done
for d in ${DIRS[@]+"${DIRS[@]}"}; do
    [ -d "$d" ] || { echo "run-vm: --dir $d is not a directory" >&2; exit 2; }
    cp -a "$d" "$IR/tests/$(basename "$d")"
done

: > "$IR/etc/rb-tests"
n=0
for t in "${TESTS[@]}"; do
    case "$t" in
        @sh:*) printf 'sh %s\n' "${t#@sh:}" >> "$IR/etc/rb-tests" ;;
        *)
            targs=
            case "$t" in *::*) targs=${t#*::}; t=${t%%::*} ;; esac
            [ -f "$t" ] && [ -x "$t" ] || { echo "run-vm: test $t is not an executable file" >&2; exit 2; }
            n=$((n + 1))
            name=$(basename "$t")
            [ -e "$IR/tests/$name" ] && name=$n-$name
            cp "$t" "$IR/tests/$name"
            printf 'bin %s %s\n' "$name" "$targs" >> "$IR/etc/rb-tests" ;;
    esac
done

cat > "$IR/etc/rb.conf" <<EOF
DRIVER='$DRIVER'
MODFILE='$(basename "$MODULE")'
MODNAME='$MODNAME'
PARAMS='$PARAMS'
KMEMLEAK=$KMEMLEAK
UNLOAD=$UNLOAD
MODPROBE=$MODPROBE
EOF

cat > "$IR/init" <<'EOF'
#!/bin/sh
# rust_binder VM /init: mount, load the driver, run the tests (TAP to
# ttyS1), unload, kmemleak, reboot. Messages for people go to the console.
export PATH=/sbin:/bin:/usr/sbin:/usr/bin:/tests HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts
mount -t devpts -o mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug
. /etc/rb.conf
stty -F /dev/ttyS1 raw -echo 2>/dev/null
exec 3>/dev/ttyS1
say() { echo "$*" >&3; }
finish() { say "# rb-vm: done"; sync; echo "rb-vm: rebooting"; reboot -f; sleep 10; }

say "# rb-vm: driver=$DRIVER module=$MODFILE params=$PARAMS kernel=$(uname -r)"
if [ "$MODPROBE" = 1 ]; then
    say "# rb-vm: $MODNAME not loaded; /lib/modules/$(uname -r) has it for modprobe"
elif ! insmod "/lib/modules/$MODFILE" $PARAMS; then
    say "not ok - insmod $MODFILE $PARAMS"
    finish
fi
[ "$KMEMLEAK" = 1 ] && echo clear > /sys/kernel/debug/kmemleak

while read -r kind arg targs; do
    cd /tmp
    if [ "$kind" = sh ]; then
        arg="$arg${targs:+ $targs}"
        say "# rb-run: sh: $arg"
        /bin/sh -c "$arg" </dev/null >&3 2>&1
        rc=$?
        if [ $rc = 0 ]; then say "ok - sh: $arg"; else say "not ok - sh: $arg (exit status $rc)"; fi
        continue
    fi
    say "# rb-run: $arg"
    echo "rb-vm: running $arg"
    # shellcheck disable=SC2086 # word splitting of the arguments is wanted
    { "/tests/$arg" $targs 2>&1 </dev/null; echo $? > /rb/rc; } | tee /rb/out >&3
    rc=$(cat /rb/rc)
    say "# rb-exit: $arg $rc"
    if [ "$rc" != 0 ] && ! grep -q '^not ok' /rb/out; then
        say "not ok - $arg exited with status $rc"
    fi
done < /etc/rb-tests
cd /

if [ "$UNLOAD" = 1 ]; then
    for m in $(awk '$3 == "binder" { print $2 }' /proc/mounts); do
        say "# rb-vm: binderfs still mounted at $m, unmounting it"
        umount "$m" || umount -l "$m"
    done
    ok=0
    if [ "$MODPROBE" = 1 ] && ! grep -q "^$MODNAME " /proc/modules; then
        say "# rb-vm: $MODNAME is not loaded, nothing to unload"
        UNLOAD=0
    fi
fi
if [ "$UNLOAD" = 1 ]; then
    for i in 1 2 3 4 5 6 7 8 9 10; do
        if rmmod "$MODNAME" 2>/rb/rmmod.err; then ok=1; break; fi
        sleep 1
    done
    if [ $ok = 1 ] && ! grep -q "^$MODNAME " /proc/modules; then
        [ "$i" = 1 ] || say "# rb-vm: rmmod needed $i attempts"
        say "ok - rmmod $MODNAME"
    else
        say "# rb-vm: rmmod: $(cat /rb/rmmod.err)"
        say "# rb-vm: $(grep "^$MODNAME " /proc/modules)"
        say "not ok - rmmod $MODNAME"
    fi
fi

if [ "$KMEMLEAK" = 1 ]; then
    # Objects are only reported once they are older than ~5 s.
    sleep 6
    echo scan > /sys/kernel/debug/kmemleak
    sleep 6
    echo scan > /sys/kernel/debug/kmemleak
    say "# rb-kmemleak-begin"
    cat /sys/kernel/debug/kmemleak >&3
    say "# rb-kmemleak-end"
fi
finish
EOF
chmod +x "$IR/init"

INITRD=$WORK/initrd.cpio
(cd "$IR" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) > "$INITRD"

# ---- boot ----------------------------------------------------------------
# A WARN or a task stuck for DEFAULT_HUNG_TASK_TIMEOUT (60 s, debug kernel)
# panics, and so ends the boot at once with the report in the console log.
APPEND="console=ttyS0 panic=-1 rdinit=/init panic_on_warn=1 hung_task_panic=1 softlockup_panic=1"
[ "$KMEMLEAK" = 1 ] && APPEND="$APPEND kmemleak=on"
[ -n "$EXTRA_APPEND" ] && APPEND="$APPEND $EXTRA_APPEND"
: > "$LOG"; : > "$TAP"
RAW=$WORK/tap.raw
# RB_VM_LOCK=FILE: wait for the other VMs that use the same lock (two VMs
# at once on 2 cores slow both and make timings worthless).
if [ -n "${RB_VM_LOCK:-}" ]; then
    exec 9>>"$RB_VM_LOCK"
    flock 9
fi
start=$(date +%s.%N)
FATAL='Oops|Kernel panic|rust_kernel: panicked|blocked for more than'
: > "$RAW"
# In the background, so that a signal to this script stops QEMU at once.
ACCEL=tcg
[ ${#PLUGIN[@]} -gt 0 ] && ACCEL=tcg,thread=single
MON=(-monitor none)
[ -n "${RB_MON:-}" ] && MON=(-monitor "unix:$RB_MON,server,nowait")
timeout -k 5 "$TIMEOUT" qemu-system-x86_64 -accel "$ACCEL" "${PLUGIN[@]}" -m 1G -smp 2,sockets=2,cores=1,threads=1 \
    -no-reboot -nodefaults -no-user-config -display none "${MON[@]}" \
    -kernel "$BZIMAGE" -initrd "$INITRD" -append "$APPEND" \
    -serial "file:$LOG" -chardev stdio,id=tap,signal=off -serial chardev:tap \
    < /dev/null > "$RAW" 2>"$WORK/qemu.err" &
QPID=$!
# Stream the TAP output while the VM runs.
tail -s 0.2 -n +1 -f --pid="$QPID" "$RAW" | sed -u 's/\r//g' &
TPID=$!
# A kernel that oopsed often leaves tests stuck for good: give the guest
# OOPS_GRACE seconds after the first Oops/panic to finish, then stop it.
oops_at= stopped=0
while kill -0 "$QPID" 2>/dev/null; do
    sleep 0.5
    if [ -z "$oops_at" ]; then
        grep -aqE "$FATAL" "$LOG" && oops_at=$SECONDS
    elif [ $((SECONDS - oops_at)) -ge "$OOPS_GRACE" ]; then
        stopped=1
        kill "$QPID" 2>/dev/null || true
        break
    fi
done
qrc=0
wait "$QPID" || qrc=$?
QPID=
wait "$TPID" || true
TPID=
end=$(date +%s.%N)
tr -d '\r' < "$RAW" > "$TAP"
secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')

# ---- verdict --------------------------------------------------------------
fail=0
bad() { echo "not ok - vm: $*"; fail=1; }
if [ "$stopped" = 1 ]; then
    bad "stopped ${OOPS_GRACE}s after a kernel Oops/panic (guest did not finish)"
elif [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
    bad "timeout after ${TIMEOUT}s"
elif [ "$qrc" != 0 ]; then
    bad "qemu exited with status $qrc"
    sed 's/^/# qemu: /' "$WORK/qemu.err" | head -n 20
fi
if ! grep -q '^# rb-vm: done' "$TAP" && [ "$qrc" != 124 ] && [ "$qrc" != 137 ] && [ "$stopped" = 0 ]; then
    bad "guest did not finish (/init did not reach the end)"
fi
# Which test was running when the guest stopped early: the last program
# started and the last kselftest case begun that has no result yet.
if ! grep -q '^# rb-vm: done' "$TAP"; then
    lastrun=$(grep -E '^# rb-run: ' "$TAP" | tail -n1 | sed 's/^# rb-run: //')
    lastcase=$(awk '/^#  RUN / { c = $3 } /^#  +(OK|FAIL|SKIP) / { if ($3 == c) c = "" } END { print c }' "$TAP")
    [ -z "$lastrun" ] || bad "interrupted while running: $lastrun${lastcase:+, case $lastcase}"
    hung=$(grep -aoE 'task [^ ]+:[0-9]+ blocked for more than [0-9]+ seconds' "$LOG" | head -n1)
    [ -z "$hung" ] || echo "# kernel: hung task: $hung"
fi
# Test binaries that exited non-zero (their "not ok" lines are already counted).
if grep -E '^# rb-exit: ' "$TAP" | awk '$4 != 0 { found = 1 } END { exit !found }'; then
    fail=1
fi
grep -qE '^not ok' "$TAP" && fail=1
# kmemleak's list.
if [ "$KMEMLEAK" = 1 ]; then
    leaks=$(sed -n '/^# rb-kmemleak-begin/,/^# rb-kmemleak-end/p' "$TAP" | grep -c '^unreferenced object' || true)
    if ! grep -q '^# rb-kmemleak-end' "$TAP"; then
        bad "kmemleak list missing"
    elif [ "$leaks" != 0 ]; then
        bad "kmemleak: $leaks unreferenced objects"
    fi
fi
# The kernel log.
PATTERN='WARNING:|BUG:|Oops|KASAN|lockdep|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU|refcount_t:|kmemleak:.*new suspected memory leaks|Kernel panic|general protection fault|Call Trace:|UBSAN|rust_kernel: panicked|self-detected stall|soft lockup|blocked for more than'
# Boot banners of this debug kernel that match the patterns but are harmless.
IGNORE='rcu: .*RCU lockdep checking is enabled'
problems=$(grep -anE "$PATTERN" "$LOG" | grep -avE "$IGNORE" || true)
if [ -n "$problems" ]; then
    bad "kernel log shows problems ($(printf '%s\n' "$problems" | wc -l) lines), first ones:"
    printf '%s\n' "$problems" | head -n 30 | sed 's/^/# kernel: /'
fi
echo "# run-vm: driver=$DRIVER wall=${secs}s console=$LOG tap=$TAP"
if [ $fail = 0 ]; then
    echo "# run-vm: PASS"
else
    echo "# run-vm: FAIL"
fi
exit $fail
