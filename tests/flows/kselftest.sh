#!/bin/sh
# rust_binder flow test (VM, a boot of its own: the driver must not be loaded
# yet, or loaded with default parameters): the tree of `make
# kselftest-install INSTALL_PATH=/tmp/rb-kselftest` (made on the host, in
# /tests/rb-kselftest) run with README recipe "kselftest-run" (its modprobe
# and run_kselftest.sh lines); then one test of the binder collection by
# name (-t).
# busybox's timeout has no --foreground (the kernel's runner.sh uses it):
# /usr/bin/timeout becomes a wrapper that drops it.

FLOW=kselftest
. /tests/lib.sh
# A distribution's /dev has the /dev/std* links (udev); devtmpfs does not, and
# runner.sh writes its log to /dev/stdout.
for i in 0:stdin 1:stdout 2:stderr; do
    [ -L "/dev/${i#*:}" ] || { rm -f "/dev/${i#*:}"; ln -s "/proc/self/fd/${i%%:*}" "/dev/${i#*:}"; }
done
rm -f /usr/bin/timeout
printf '#!/bin/sh\n[ "$1" = --foreground ] && shift\nexec busybox timeout "$@"\n' > /usr/bin/timeout
chmod 755 /usr/bin/timeout
rm -rf /tmp/rb-kselftest && cp -a /tests/rb-kselftest /tmp/rb-kselftest || bail "copy the tree"
check "kselftest-list.txt lists binderfs and binder tests" \
    sh -c 'grep -q "^binderfs:binderfs_test_rb$" /tmp/rb-kselftest/kselftest-list.txt && grep -q "^binder:binder_basic_test$" /tmp/rb-kselftest/kselftest-list.txt'
check "settings with timeouts" grep -q '^timeout=' /tmp/rb-kselftest/binderfs/settings /tmp/rb-kselftest/binder/settings
check "config fragments" grep -q '^CONFIG_RUST=y' /tmp/rb-kselftest/binderfs/config /tmp/rb-kselftest/binder/config
# The runner's own TAP ("ok N selftests: binderfs: ...") is passed through.
sh /tests/recipe-kselftest-run.sh
rc=$?
[ "$rc" = 0 ] || not_ok "README recipe kselftest-run (exit status $rc)"
/tmp/rb-kselftest/run_kselftest.sh -t binder:binder_basic_test
rc=$?
[ "$rc" = 0 ] || not_ok "run_kselftest.sh -t binder:binder_basic_test (exit status $rc)"
flow_exit
