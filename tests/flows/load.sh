#!/bin/sh
# rust_binder flow test (VM, run-vm.sh --modprobe): README recipe "load" with
# packaging/ (modprobe.d options and alias, modules-load.d), the driver
# installed in /lib/modules. The C driver (binder_linux.ko, the oracle) gets
# the same files with its own module name and without the alias line.
FLOW=load
. /tests/lib.sh
. /etc/rb.conf
W=/tmp/load
rm -rf "$W" && mkdir -p "$W" && cp -a /tests/packaging "$W/" || bail "copy packaging/"
if [ "$DRIVER" = c ]; then
    for f in "$W"/packaging/modprobe.d/*.conf "$W"/packaging/modules-load.d/*.conf; do
        sed -i -e '/^alias /d' -e 's/rust_binder/binder_linux/g' "$f"
    done
fi
# What a distribution has.
mkdir -p /etc/modprobe.d /etc/modules-load.d
cd "$W" || bail "cd $W"
recipe load
cd /
check "$MODNAME loaded (by modprobe binder_linux)" grep -q "^$MODNAME " /proc/modules
check "devices= from modprobe.d: $(cat /sys/module/$MODNAME/parameters/devices 2>/dev/null)" \
    test "$(cat /sys/module/$MODNAME/parameters/devices 2>/dev/null)" = binder,hwbinder,vndbinder
for d in binder hwbinder vndbinder; do
    check "/dev/binderfs/$d made by the mount (devices=)" test -c /dev/binderfs/$d
done
# systemd-modules-load: modprobe every name listed in modules-load.d.
for m in $(grep -hv '^#' /etc/modules-load.d/*.conf); do
    check "modules-load.d: modprobe $m" modprobe "$m"
done
flow_exit
