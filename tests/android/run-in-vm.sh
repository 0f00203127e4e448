#!/usr/bin/env bash
# rust_binder: run the Android-style userspace test (tests/android/run.sh) in
# the QEMU VM against one binder driver.
#
# Usage: tests/android/run-in-vm.sh c|rust [run-vm.sh options...]
#   e.g. tests/android/run-in-vm.sh c
#        tests/android/run-in-vm.sh rust --module /path/rust_binder.ko --timeout 300
#
# Builds (build.sh), packs run.sh and the static binaries into one
# self-extracting busybox-sh script, and hands that to scripts/run-vm.sh as its
# only TEST: run-vm.sh copies TEST binaries into the initramfs one by one and
# runs each of them, so it cannot carry helper programs that must not run on
# their own (rsb_hub, the service). In the guest the bundle unpacks into
# /tmp/rb-android and runs run.sh there. Output: run-vm.sh's (TAP, verdict);
# exit status: run-vm.sh's.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DRIVER=${1:?usage: run-in-vm.sh c|rust [run-vm.sh options...]}
shift

mapfile -t BINS < <("$HERE/build.sh")
[ "${#BINS[@]}" = 4 ] || { echo "run-in-vm: build.sh printed ${#BINS[@]} paths, want 4" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rb-android.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir "$WORK/pkg"
cp "${BINS[@]}" "$HERE/run.sh" "$WORK/pkg/"
chmod 755 "$WORK/pkg/"*

# The bundle: a busybox-sh header, a marker line, then a gzipped tar. The
# header exits before the shell reads past the marker.
BUNDLE=$WORK/rb-android
cat > "$BUNDLE" <<'EOF'
#!/bin/sh
# rust_binder: self-extracting bundle of tests/android (run.sh + static binaries).
D=/tmp/rb-android
rm -rf "$D" && mkdir -p "$D" || exit 1
n=$(awk '/^__RB_ANDROID_PAYLOAD__$/ { print NR + 1; exit }' "$0")
if ! tail -n +"$n" "$0" | tar -xzf - -C "$D"; then
    echo "1..1"
    echo "not ok 1 - rb-android: cannot unpack the bundle"
    exit 1
fi
sh "$D/run.sh" "$D"
rc=$?
rm -rf "$D"
exit $rc
__RB_ANDROID_PAYLOAD__
EOF
tar -C "$WORK/pkg" -cf - . | gzip -1 >> "$BUNDLE"
chmod 755 "$BUNDLE"

set +e
"$ROOT/scripts/run-vm.sh" --driver "$DRIVER" "$@" "$BUNDLE"
rc=$?
exit $rc
