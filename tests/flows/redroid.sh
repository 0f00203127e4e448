#!/bin/sh
# rust_binder flow test (VM): a redroid-style / rootless container. README
# recipe "redroid-host" as root, then as uid 1000 in a new user and mount
# namespace (unshare -Urm) redroid-ns.sh: the container's own /dev, recipe
# "redroid-container" (mount binderfs, create binder/hwbinder/vndbinder
# through binder-control where missing, chmod 0666, /dev/<name> links),
# stats=global refused, and the Android-style suite there over /dev/binder.
FLOW=redroid
. /tests/lib.sh
recipe redroid-host || bail "recipe redroid-host"
C=/tmp/container
rm -rf "$C" && mkdir -p "$C" && chown rbtest:rbtest "$C" || bail "mkdir $C"
out=$(mktemp /tmp/redroid.XXXXXX)
chmod 644 "$out"
su -s /bin/sh rbtest -c "unshare -U -r -m --propagation private sh /tests/redroid-ns.sh $C" >"$out" 2>&1 </dev/null
rc=$?
cat "$out"
grep -q '^not ok' "$out" && flow_failed=1
[ "$rc" = 0 ] || [ "$flow_failed" != 0 ] || not_ok "redroid-ns.sh exit status $rc"
check "no binderfs of the container left in the initial namespace" sh -c "! grep -q ' $C' /proc/mounts"
rm -f "$out"; rm -rf "$C"
flow_exit
