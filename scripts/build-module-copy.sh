#!/usr/bin/env bash
# rust_binder: build rust_binder.ko against another kernel (KDIR) in a copy of
# the sources, so that builds for two kernels don't share object files.
#
# Usage: scripts/build-module-copy.sh KDIR DIR
# Prints the path of the built module on its last line.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/env.sh"
KDIR=${1:?usage: build-module-copy.sh KDIR DIR}
DIR=${2:?usage: build-module-copy.sh KDIR DIR}

mkdir -p "$DIR"
# Sources only: no build products of the checkout's own (other kernel's) build.
rsync -a --delete --exclude /build/ --exclude /.git/ --exclude /tests/ \
    --exclude '*.o' --exclude '*.ko' --exclude '*.mod' --exclude '*.mod.c' \
    --exclude '.*.cmd' --exclude '*_generated.rs' --exclude '*.s' \
    --exclude Module.symvers --exclude modules.order \
    "$ROOT/" "$DIR/"
make -s -C "$DIR" KDIR="$KDIR" modules >&2
echo "$DIR/rust_binder.ko"
