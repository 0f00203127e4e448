#!/usr/bin/env bash
# rust_binder: `make check`, the project's test command: set-up (packages,
# bindgen), the cached kernels (debug and production-like), the module built
# against both, a formatting check, then every test suite in QEMU against both
# drivers (the C driver is the oracle) and a smoke test on the production-like
# kernel. Ends with the line "N passed, N failed[, N skipped]".
#
# RB_DRY_RUN=1: run set-up as --dry-run and stop there (tests/fresh uses it).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/env.sh"
SECONDS=0

rb_step "check: set-up"
if [ "${RB_DRY_RUN:-0}" = 1 ]; then
    bash "$ROOT/scripts/setup.sh" --dry-run
    rb_step "check: dry run, stopping after set-up"
    exit 0
fi
bash "$ROOT/scripts/setup.sh"
rb_step "check: debug kernel"
KDIR=$(bash "$ROOT/scripts/build-kernel.sh" debug | tail -n1)
rb_step "check: production-like (perf) kernel"
KDIR_PERF=$(bash "$ROOT/scripts/build-kernel.sh" perf | tail -n1)
export KDIR KDIR_PERF
rb_step "check: kernels ready (${SECONDS}s)"
make -s -C "$ROOT" KDIR="$KDIR" modules
rb_step "check: module built against the debug kernel (${SECONDS}s)"
PERF_MODULE=$(bash "$ROOT/scripts/build-module-copy.sh" "$KDIR_PERF" "$ROOT/build/module-perf")
export PERF_MODULE
rb_step "check: module built against the production-like kernel (${SECONDS}s)"

# Formatting, with the kernel's rustfmt settings.
if command -v rustfmt >/dev/null; then
    if ! rustfmt --edition 2021 --check --config-path "$KDIR/source/.rustfmt.toml" "$ROOT/rust_binder_main.rs" >/dev/null; then
        echo "check: rustfmt: the crate is not formatted (make rustfmt)"
        echo "0 passed, 1 failed"
        exit 1
    fi
fi

status=0
bash "$ROOT/scripts/check-tests.sh" --host --perf-smoke c rust || status=$?
rb_step "check: done in ${SECONDS}s"
exit $status
