#!/usr/bin/env bash
# rust_binder: `make demo`: set up, build, boot the QEMU test kernel with
# rust_binder.ko and show binderfs and binder devices at work, then run an
# Android-style service manager, service and client on it (calls, a callback
# binder passed back and forth, a death notification). Each boot ends by
# unloading the module (run-vm.sh reports the rmmod).
#
# RB_DRY_RUN=1: run set-up as --dry-run and stop there (tests/fresh uses it).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/env.sh"


rb_step "demo: set-up"
if [ "${RB_DRY_RUN:-0}" = 1 ]; then
    bash "$ROOT/scripts/setup.sh" --dry-run
    rb_step "demo: dry run, stopping after set-up"
    exit 0
fi
bash "$ROOT/scripts/setup.sh"
rb_step "demo: debug kernel"
KDIR=$(bash "$ROOT/scripts/build-kernel.sh" debug | tail -n1)
export KDIR
rb_step "demo: building rust_binder.ko"
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
