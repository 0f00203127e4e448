#!/bin/sh
# rust_binder flow test (VM, rust_binder only; run-vm.sh --modprobe): the
# module is not loaded; `mount -t binder` loads it on demand (module alias
# fs-binder, request_module("fs-binder")), and it unloads again. The C
# driver has no such alias (binder_linux is loaded by name only).
FLOW=autoload
. /tests/lib.sh
. /etc/rb.conf
check "$MODNAME not loaded at the start" sh -c "! grep -q '^$MODNAME ' /proc/modules"
check "no binder filesystem registered at the start" sh -c '! grep -qw binder /proc/filesystems'
mkdir -p /tmp/autoload
if mount -t binder binder /tmp/autoload; then
    ok "mount -t binder succeeded"
    check "it loaded $MODNAME" grep -q "^$MODNAME " /proc/modules
    check "the new mount has binder-control" test -c /tmp/autoload/binder-control
    umount /tmp/autoload
else
    not_ok "mount -t binder succeeded"
fi
check "rmmod $MODNAME" rmmod "$MODNAME"
flow_exit
