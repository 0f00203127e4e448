#!/usr/bin/env bash
# rust_binder: `make demo`: set up, build, boot the QEMU test kernel with
# rust_binder.ko and show binderfs and binder devices at work, then run an
# Android-style service manager, service and client on it (calls, a callback
# binder passed back and forth, a death notification). Each boot ends by
# unloading the module (run-vm.sh reports the rmmod).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/env.sh"

bash "$ROOT/scripts/setup.sh"
KDIR=$(bash "$ROOT/scripts/build-kernel.sh" | tail -n1)
export KDIR
make -s -C "$ROOT" KDIR="$KDIR" modules
mkdir -p "$ROOT/build/tools"
gcc -static -O2 -Wall -I"$KDIR/usr-headers/include" -o "$ROOT/build/tools/binderctl" "$ROOT/tools/binderctl.c"

echo "== rust_binder demo: QEMU (TCG), $(basename "$KDIR"), rust_binder.ko =="
bash "$ROOT/scripts/run-vm.sh" --driver rust \
    --file "$ROOT/build/tools/binderctl" --file "$ROOT/tools/demo-guest.sh" \
    "@sh:sh /tests/demo-guest.sh"

echo
echo "== Android-style userspace on rust_binder: rsb_hub (service manager), an AIDL service and a client =="
bash "$ROOT/tests/android/run-in-vm.sh" rust
