#!/bin/sh
# rust_binder demo, run inside the VM (busybox sh): mount binderfs, create
# devices, show the tree and the features, talk to a device, unmount.
set -e
echo "# kernel $(uname -r); binder module: $(grep -o '^rust_binder\|^binder_linux' /proc/modules | head -n1)"
grep -w binder /proc/filesystems
mkdir -p /dev/binderfs
mount -t binder binder /dev/binderfs
echo "# mounted: $(grep binderfs /proc/mounts)"
binderctl add /dev/binderfs binder
binderctl add /dev/binderfs hwbinder
binderctl add /dev/binderfs vndbinder
echo "# /dev/binderfs:"
ls -l /dev/binderfs
echo "# features:"
binderctl features /dev/binderfs
binderctl version /dev/binderfs/binder
rm /dev/binderfs/vndbinder
echo "# after rm vndbinder:"
ls /dev/binderfs
umount /dev/binderfs
echo "# unmounted"
