#!/usr/bin/env bash
# rust_binder: what kmod's modprobe (the one distributions run) makes of
# packaging/ and the module's aliases, on the host, without loading
# anything: `modprobe --dry-run --verbose` on private module trees for the
# test kernel's release (-d DIR -S RELEASE, -C CONFIG). TAP on stdout.
#
# Usage: tests/packaging/modprobe_test.sh [RUST_BINDER_KO]
#   RUST_BINDER_KO defaults to <repo>/rust_binder.ko (built against KDIR).
# Environment: KDIR (default rb_kdir): its release and binder_linux.ko.
#
# Trees: "both" has binder_linux.ko (the C driver, as Debian's kernel package
# ships it) and rust_binder.ko in updates/; "rust" has rust_binder.ko only.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../../scripts/env.sh
. "$ROOT/scripts/env.sh"
KO=${1:-$ROOT/rust_binder.ko}
KDIR=${KDIR:-$(rb_kdir)}
KREL=$(cat "$KDIR/include/config/kernel.release")
CKO=$KDIR/drivers/android/binder_linux.ko
MODPROBE=/sbin/modprobe DEPMOD=/sbin/depmod
if [ ! -f "$KO" ] || [ ! -f "$CKO" ] || [ ! -x "$MODPROBE" ] || [ ! -x "$DEPMOD" ]; then
    echo "1..0 # SKIP needs $KO, $CKO and kmod's modprobe and depmod"
    exit 0
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/rb-modprobe.XXXXXX")
trap 'rm -rf "$W"' EXIT
tree() { # tree NAME KO...: a lib/modules/<release> tree with depmod's files
    local name=$1 d=$W/$1/lib/modules/$KREL f
    shift
    mkdir -p "$d/updates" "$d/kernel/drivers/android"
    for f in "$@"; do
        case "$f" in
            */binder_linux.ko) cp "$f" "$d/kernel/drivers/android/" ;;
            *) cp "$f" "$d/updates/" ;;
        esac
    done
    : > "$d/modules.order"; : > "$d/modules.builtin"; : > "$d/modules.builtin.modinfo"
    "$DEPMOD" -b "$W/$name" "$KREL"
}
tree both "$CKO" "$KO"
tree rust "$KO"
mkdir -p "$W/noconf"
CONF=$ROOT/packaging/modprobe.d

n=0 failed=0
# expect DESCRIPTION TREE CONFIG WANT-REGEX MODPROBE-ARGS...: the first insmod
# line of the dry run matches WANT-REGEX.
expect() {
    local desc=$1 t=$2 conf=$3 want=$4 out
    shift 4
    out=$("$MODPROBE" --dry-run --verbose --ignore-install -d "$W/$t" -S "$KREL" -C "$conf" "$@" 2>&1 |
        grep '^insmod ' | head -n1 | sed "s|$W/$t/lib/modules/$KREL/||") || true
    n=$((n + 1))
    if printf '%s\n' "$out" | grep -qE "$want"; then
        echo "ok $n - $desc: $out"
    else
        failed=$((failed + 1))
        echo "not ok $n - $desc: got \"$out\", want /$want/"
    fi
}
echo "1..7"
expect "rust_binder.ko only: modprobe binder_linux loads it (module alias)" \
    rust "$W/noconf" '^insmod updates/rust_binder\.ko devices=a,b,c *$' binder_linux devices=a,b,c
expect "rust_binder.ko only: mount -t binder's request for fs-binder loads it" \
    rust "$W/noconf" '^insmod updates/rust_binder\.ko *$' fs-binder
expect "both installed, no config: modprobe binder_linux is the C driver's" \
    both "$W/noconf" '^insmod kernel/drivers/android/binder_linux\.ko *$' binder_linux
expect "both installed, packaging/modprobe.d: modprobe binder_linux loads rust_binder with its devices=" \
    both "$CONF" '^insmod updates/rust_binder\.ko devices=binder,hwbinder,vndbinder *$' binder_linux
expect "packaging/modprobe.d: Waydroid's modprobe line (its devices= last, so it wins)" \
    both "$CONF" '^insmod updates/rust_binder\.ko devices=binder,hwbinder,vndbinder devices=anbox-binder,anbox-vndbinder,anbox-hwbinder *$' \
    binder_linux devices=anbox-binder,anbox-vndbinder,anbox-hwbinder
expect "packaging/modprobe.d: fs-binder loads rust_binder with its devices=" \
    both "$CONF" '^insmod updates/rust_binder\.ko devices=binder,hwbinder,vndbinder *$' fs-binder
names=$(grep -hv '^#' "$ROOT"/packaging/modules-load.d/*.conf | tr '\n' ' ')
expect "packaging/modules-load.d ($names): loads rust_binder" \
    both "$CONF" '^insmod updates/rust_binder\.ko' $names
[ "$failed" = 0 ]
