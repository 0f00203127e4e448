#!/usr/bin/env bash
# rust_binder: lay the tests out as the kernel's kselftest install does
# (`make -C tools/testing/selftests install INSTALL_PATH=DIR`), so that a CI
# system that runs kselftests (KernelCI, LKP) runs ours the same way, with
# rust_binder.ko (or the C binder_linux.ko) loaded.
#
# Usage: tests/kselftest/install.sh DIR      (make kselftest-install INSTALL_PATH=DIR)
# Environment: KDIR, the kernel build tree (headers for the tests, and its
#   source's tools/testing/selftests for the runner); default: rb_kdir.
#
# DIR/run_kselftest.sh, DIR/kselftest/ (runner.sh and its helpers): the
#   kernel's own files, unchanged
# DIR/kselftest-list.txt    "collection:test" lines
# DIR/binderfs/             binderfs tests; settings (timeout=), config
# DIR/binder/               binder protocol tests; settings (timeout=), config
# Left out: the tests that need module parameters (binderfs_devices_test:
# devices=binder,hwbinder,vndbinder; binder_legacy_test: legacy_devices=).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../../scripts/env.sh
. "$ROOT/scripts/env.sh"
DIR=${1:?usage: tests/kselftest/install.sh DIR}
KDIR=${KDIR:-$(rb_kdir)}
KSFT=$KDIR/source/tools/testing/selftests
[ -f "$KSFT/run_kselftest.sh" ] && [ -f "$KSFT/kselftest/runner.sh" ] ||
    { echo "kselftest-install: no kselftest runner in $KSFT (KDIR=$KDIR)" >&2; exit 1; }

BINDERFS_TESTS=(binderfs_test_rb binderfs_device_test_rb binderfs_userns_test_rb binderfs_test
    binderfs_smoke_test)
BINDER_TESTS=(binder_basic_test binder_ctxmgr_test binder_txn_test binder_objects_test
    binder_death_test binder_threads_test binder_fd_test binder_freeze_test binder_prio_test
    binder_reclaim_test binder_logs_test binder_leak_test binder_hostile_test)

BUILD=$ROOT/build/kselftest-install
make -s -C "$ROOT/tests/kselftest" KDIR="$KDIR" O="$BUILD" >&2
make -s -C "$ROOT/tests/kselftest/binder" KDIR="$KDIR" O="$BUILD/binder" >&2

mkdir -p "$DIR/kselftest" "$DIR/binderfs" "$DIR/binder"
DIR=$(cd "$DIR" && pwd)
for f in runner.sh module.sh prefix.pl ktap_helpers.sh ksft.py; do
    [ -f "$KSFT/kselftest/$f" ] && install -m 744 "$KSFT/kselftest/$f" "$DIR/kselftest/"
done
install -m 744 "$KSFT/run_kselftest.sh" "$DIR/"

: > "$DIR/kselftest-list.txt"
for t in "${BINDERFS_TESTS[@]}"; do
    install -m 755 "$BUILD/$t" "$DIR/binderfs/"
    echo "binderfs:$t" >> "$DIR/kselftest-list.txt"
done
for t in "${BINDER_TESTS[@]}"; do
    install -m 755 "$BUILD/binder/$t" "$DIR/binder/"
    echo "binder:$t" >> "$DIR/kselftest-list.txt"
done

# Timeouts per test, in seconds: generous, for slow and emulated machines
# (binder_hostile_test takes minutes under QEMU TCG).
printf 'timeout=300\n' > "$DIR/binderfs/settings"
printf 'timeout=1200\n' > "$DIR/binder/settings"

# What the kernel needs (a kselftest config fragment, for merge_config.sh).
for c in binderfs binder; do
    cat > "$DIR/$c/config" <<'EOF'
# rust_binder.ko: a kernel with Rust and loadable, unloadable modules.
# The C driver (ANDROID_BINDER_IPC) must not be built in (=y): both register
# the filesystem type "binder"; as a module (=m, binder_linux) it is the
# oracle the same tests run against.
CONFIG_RUST=y
CONFIG_MODULES=y
CONFIG_MODULE_UNLOAD=y
# binderfs in a user namespace (binderfs_userns_test_rb, binderfs_test)
CONFIG_USER_NS=y
# binderfs_test's socketpair()
CONFIG_UNIX=y
EOF
done
echo "kselftest-install: $DIR ($(wc -l < "$DIR/kselftest-list.txt") tests; run $DIR/run_kselftest.sh with the module loaded)" >&2
