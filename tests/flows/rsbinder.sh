#!/bin/sh
# rust_binder flow test (VM): rsbinder's own set-up, README recipe
# "rsbinder" (modprobe binder_linux; rsb_device rsbinder --mode 0666: mounts
# /dev/binderfs if needed, BINDER_CTL_ADD, chmod, /dev/rsbinder symlink),
# then the Android-style suite (rsbinder's rsb_hub, an AIDL service and
# client) as uid 1000 over /dev/rsbinder.
FLOW=rsbinder
. /tests/lib.sh
recipe rsbinder || bail "recipe rsbinder"
check "/dev/binderfs/rsbinder, mode $(mode /dev/binderfs/rsbinder)" \
    sh -c '[ -c /dev/binderfs/rsbinder ] && [ "$(stat -c %a /dev/binderfs/rsbinder)" = 666 ]'
check "/dev/rsbinder -> /dev/binderfs/rsbinder" test "$(readlink /dev/rsbinder)" = /dev/binderfs/rsbinder
suite rbtest rsbinder /dev/rsbinder
flow_exit
