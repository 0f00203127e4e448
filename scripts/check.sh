#!/usr/bin/env bash
# rust_binder: `make check`, the project's test command: set-up (packages,
# bindgen), the cached test kernel, the module, a formatting check, then
# every test suite in QEMU against both drivers (the C driver is the
# oracle). Ends with the line "N passed, N failed[, N skipped]".
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/env.sh"
start=$(date +%s)

bash "$ROOT/scripts/setup.sh"
KDIR=$(bash "$ROOT/scripts/build-kernel.sh" | tail -n1)
export KDIR
echo "check: kernel $KDIR ($(( $(date +%s) - start ))s)"
make -s -C "$ROOT" KDIR="$KDIR" modules
echo "check: module built ($(( $(date +%s) - start ))s)"

# Formatting, with the kernel's rustfmt settings.
if command -v rustfmt >/dev/null; then
    if ! rustfmt --edition 2021 --check --config-path "$KDIR/source/.rustfmt.toml" "$ROOT/rust_binder.rs" >/dev/null; then
        echo "check: rustfmt: the crate is not formatted (make rustfmt)"
        echo "0 passed, 1 failed"
        exit 1
    fi
fi

status=0
bash "$ROOT/scripts/check-tests.sh" c rust || status=$?
echo "check: done in $(( $(date +%s) - start ))s" >&2
exit $status
