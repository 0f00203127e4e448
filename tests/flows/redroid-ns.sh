#!/bin/sh
# rust_binder flow test, run by redroid.sh as uid 1000 inside
# `unshare -U -r -m` (root of a new user namespace, own mount namespace).
# Usage: redroid-ns.sh DIR   (a directory uid 1000 owns)
FLOW=redroid
. /tests/lib.sh
C=${1:?}
check "root of a new user namespace (uid_map: $(tr -s ' ' < /proc/self/uid_map))" test "$(id -u)" = 0
# The container's own /dev, as a container runtime makes it: a tmpfs, with
# /dev/null bound from the host.
touch "$C/null" && mount -o bind /dev/null "$C/null" &&
    mount -t tmpfs -o mode=755 tmpfs /dev && touch /dev/null && mount -o bind "$C/null" /dev/null ||
    bail "the container's /dev"
ok "the container's /dev (tmpfs)"
recipe redroid-container
for d in binder hwbinder vndbinder; do
    check "/dev/$d -> /dev/binderfs/$d, mode $(mode /dev/$d)" \
        sh -c "[ \"\$(readlink /dev/$d)\" = /dev/binderfs/$d ] && [ -c /dev/$d ] && [ \"\$(stat -L -c %a /dev/$d)\" = 666 ]"
done
mkdir -p "$C/stats"
if mount -t binder -o stats=global binder "$C/stats" 2>"$C/stats.err"; then
    not_ok "mount -o stats=global refused in a user namespace (it was mounted)"
    umount "$C/stats"
else
    ok "mount -o stats=global refused in a user namespace ($(cat "$C/stats.err"))"
fi
suite root binder /dev/binder
flow_exit
