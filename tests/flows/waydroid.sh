#!/bin/sh
# rust_binder flow test (VM): Waydroid's binder set-up (waydroid's
# tools/helpers/drivers.py) with README recipes "waydroid" (probe
# /proc/filesystems, modprobe binder_linux devices=anbox-... if absent,
# mount binderfs on /dev/binderfs) and "waydroid-nodes" (symlinks into /dev,
# mode 666); in between, BINDER_CTL_ADD for each missing name, EEXIST
# ignored; then a non-root uid (rbtest, 1000) runs the Android-style service
# manager, service and client over /dev/anbox-binder.
FLOW=waydroid
. /tests/lib.sh
NAMES="anbox-binder anbox-vndbinder anbox-hwbinder"
diag "binder filesystem before: $(grep -w binder /proc/filesystems || echo absent)"
recipe waydroid || bail "recipe waydroid"
check "binder filesystem registered" grep -qw binder /proc/filesystems
check "binderfs mounted on /dev/binderfs" grep -q ' /dev/binderfs binder ' /proc/mounts
for d in $NAMES; do
    if [ -c "/dev/binderfs/$d" ]; then
        ok "$d present (devices=)"
    elif out=$(rb-binderfs-mkdev /dev/binderfs/binder-control "$d" 2>&1) && [ -c "/dev/binderfs/$d" ]; then
        ok "$d made with BINDER_CTL_ADD ($out)"
    else
        not_ok "$d made with BINDER_CTL_ADD ($out)"
    fi
done
# Waydroid adds every name and ignores EEXIST: a second add reports it.
out=$(rb-binderfs-mkdev /dev/binderfs/binder-control anbox-binder 2>&1)
check "BINDER_CTL_ADD of an existing name: EEXIST ($out)" test "$out" = "anbox-binder exists"
recipe waydroid-nodes
for d in $NAMES; do
    check "/dev/$d -> /dev/binderfs/$d, mode $(mode /dev/$d)" \
        sh -c "[ \"\$(readlink /dev/$d)\" = /dev/binderfs/$d ] && [ -c /dev/$d ] && [ \"\$(stat -L -c %a /dev/$d)\" = 666 ]"
done
suite rbtest anbox-binder /dev/anbox-binder
flow_exit
