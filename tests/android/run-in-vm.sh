#!/usr/bin/env bash
# rust_binder: run the Android-style userspace test (tests/android/run.sh) in
# the QEMU VM against one binder driver.
#
# Usage: tests/android/run-in-vm.sh c|rust [run-vm.sh options...]
#   e.g. tests/android/run-in-vm.sh c
#        tests/android/run-in-vm.sh rust --module /path/rust_binder.ko --timeout 300
#
# Builds (build.sh) and hands scripts/run-vm.sh the static binaries as --file
# (copied into the guest's /tests, not run on their own) and run.sh, under the
# name rb-android, as its only TEST; run.sh finds the binaries next to itself
# in /tests. Output: run-vm.sh's (TAP, verdict); exit status: run-vm.sh's.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DRIVER=${1:?usage: run-in-vm.sh c|rust [run-vm.sh options...]}
shift

mapfile -t BINS < <("$HERE/build.sh")
[ "${#BINS[@]}" = 5 ] || { echo "run-in-vm: build.sh printed ${#BINS[@]} paths, want 5" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rb-android.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# run.sh as the TEST "rb-android" (the name in run-vm.sh's "# rb-run:" and
# "# rb-exit:" lines); it must not share a name with a --file.
cp "$HERE/run.sh" "$WORK/rb-android"
chmod 755 "$WORK/rb-android"
FILES=()
for b in "${BINS[@]}"; do
    FILES+=(--file "$b")
done

set +e
"$ROOT/scripts/run-vm.sh" --driver "$DRIVER" "${FILES[@]}" "$@" "$WORK/rb-android"
rc=$?
exit $rc
