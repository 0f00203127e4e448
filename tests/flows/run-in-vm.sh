#!/usr/bin/env bash
# rust_binder: the "Use it with ..." flows of README.md, in one QEMU boot
# against one driver, the driver installed in /lib/modules and loaded by the
# flows themselves (scripts/run-vm.sh --modprobe), in this order:
#   autoload.sh   (rust only) mount -t binder loads rust_binder (fs-binder)
#   load.sh       recipe "load": packaging/ modprobe.d + modules-load.d,
#                 modprobe binder_linux, mount binderfs
#   waydroid.sh   recipes "waydroid" + "waydroid-nodes", BINDER_CTL_ADD,
#                 the Android-style suite as uid 1000 on /dev/anbox-binder
#   rsbinder.sh   recipe "rsbinder" (rsb_device), the suite as uid 1000 on
#                 /dev/rsbinder
#   redroid.sh    recipes "redroid-host", "redroid-container" in a user and
#                 mount namespace of uid 1000, stats=global refused, the suite
#   kselftest.sh  the tree of make kselftest-install, run by recipe
#                 "kselftest"'s modprobe and run_kselftest.sh lines; it needs
#                 the driver loaded without devices=, so scripts/check-tests.sh
#                 gives it a boot of its own (RB_FLOWS=kselftest)
#
# Usage: tests/flows/run-in-vm.sh c|rust [run-vm.sh options...]
# Environment: RB_FLOWS="load kselftest" runs only these flows (in the order
# above; autoload is skipped for c).
# Output and exit status: run-vm.sh's.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=../../scripts/env.sh
. "$ROOT/scripts/env.sh"
DRIVER=${1:?usage: run-in-vm.sh c|rust [run-vm.sh options...]}
shift
KDIR=${KDIR:-$(rb_kdir)}
export KDIR

mapfile -t BINS < <("$ROOT/tests/android/build.sh")
[ "${#BINS[@]}" = 5 ] || { echo "flows: tests/android/build.sh printed ${#BINS[@]} paths, want 5" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rb-flows.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# The README recipes, as the reader copies them.
for r in load waydroid waydroid-nodes redroid-host redroid-container rsbinder; do
    bash "$ROOT/scripts/readme-recipe.sh" "$r" > "$WORK/recipe-$r.sh"
done
# Recipe "kselftest": its make line runs here (into this boot's own
# directory rather than /tmp/rb-kselftest), its run_kselftest.sh line in the
# guest, on a copy of the tree at /tmp/rb-kselftest.
bash "$ROOT/scripts/readme-recipe.sh" kselftest > "$WORK/recipe-kselftest.sh"
grep -q '^make kselftest-install INSTALL_PATH=/tmp/rb-kselftest$' "$WORK/recipe-kselftest.sh" ||
    { echo "flows: README recipe kselftest has no 'make kselftest-install INSTALL_PATH=/tmp/rb-kselftest' line" >&2; exit 1; }
grep -v '^make ' "$WORK/recipe-kselftest.sh" > "$WORK/recipe-kselftest-run.sh"
make -s -C "$ROOT" KDIR="$KDIR" kselftest-install INSTALL_PATH="$WORK/rb-kselftest" >&2

FILES=()
for f in "${BINS[@]}" "$ROOT/tests/android/run.sh" "$HERE/lib.sh" "$HERE/sudo" "$HERE/redroid-ns.sh" \
    "$WORK"/recipe-*.sh; do
    FILES+=(--file "$f")
done
# RB_FLOWS="load kselftest": only these flows (when working on one).
FLOWS=${RB_FLOWS:-autoload load waydroid rsbinder redroid kselftest}
TESTS=()
for f in $FLOWS; do
    case "$f" in
        autoload) [ "$DRIVER" = rust ] && TESTS+=("$HERE/autoload.sh") ;;
        load | waydroid | rsbinder | redroid | kselftest) TESTS+=("$HERE/$f.sh") ;;
        *) echo "flows: unknown flow $f in RB_FLOWS" >&2; exit 2 ;;
    esac
done

set +e
"$ROOT/scripts/run-vm.sh" --driver "$DRIVER" --modprobe "${FILES[@]}" \
    --dir "$ROOT/packaging" --dir "$WORK/rb-kselftest" "$@" "${TESTS[@]}"
exit $?
