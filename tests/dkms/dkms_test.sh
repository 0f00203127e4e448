#!/usr/bin/env bash
# rust_binder: DKMS and `make install` on the host, against the test kernel,
# into private trees (nothing under /var/lib/dkms, /usr/src or /lib/modules
# is touched). TAP on stdout.
#
# Usage: tests/dkms/dkms_test.sh [OUT]
#   OUT (optional): where to leave DKMS's install tree for the VM boot that
#   modprobes the installed module: OUT/<release>/updates/dkms/rust_binder.ko
#   (scripts/check-tests.sh: run-vm.sh --modprobe --modules-tree OUT/<release>).
# Environment: KDIR (default rb_kdir, the debug test kernel).
#
# 1. README recipe "dkms" (dkms add/build/install) word for word, with `dkms`
#    given --dkmstree/--sourcetree/--installtree (private), -k <release>,
#    --kernelsourcedir KDIR and --no-depmod, and `sudo` running its arguments.
# 2. make install INSTALL_MOD_PATH=DIR: the module and depmod's modules.alias
#    (binder_linux, fs-binder).
# 3. The toolchain check: a build with another rustc, bindgen or clang than
#    KDIR's stops at once (seconds, no compiler run) with one message naming
#    both versions and the fix; through DKMS too (its make.log).
# Needs root (dkms add/install check it) and dkms; skips otherwise.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../../scripts/env.sh
. "$ROOT/scripts/env.sh"
OUT=${1:-}

if [ "$(id -u)" != 0 ] || ! command -v dkms >/dev/null; then
    echo "1..0 # SKIP needs root and dkms (scripts/setup.sh installs it)"
    exit 0
fi
KDIR=${KDIR:-$(rb_kdir)}
KREL=$(cat "$KDIR/include/config/kernel.release")
VERSION=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$ROOT/dkms.conf")

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
diag() { sed 's/^/# /'; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }

W=$(mktemp -d "${TMPDIR:-/tmp}/rb-dkms.XXXXXX")
trap 'rm -rf "$W"' EXIT
# The checkout's files, as a fresh clone has them (no build products; no
# .git, which `dkms add` does not copy anyway).
SRC=$W/rust_binder
mkdir -p "$SRC"
rsync -a --exclude /build/ --exclude /.git/ \
    --exclude '*.o' --exclude '*.ko' --exclude '*.mod' --exclude '*.mod.c' \
    --exclude '.*.cmd' --exclude '*_generated.rs' --exclude '*.s' \
    --exclude Module.symvers --exclude modules.order "$ROOT/" "$SRC/"
mkdir -p "$W/dkms" "$W/src" "$W/install/$KREL"
echo "1..11"

# ---- 1. README recipe "dkms" ----------------------------------------------------
bash "$ROOT/scripts/readme-recipe.sh" dkms > "$W/recipe.sh"
{
    echo '#!/bin/bash'
    printf 'sudo() { "$@"; }\n'
    printf 'dkms() { command dkms "$@" --dkmstree %q --sourcetree %q --installtree %q -k %q --kernelsourcedir %q --no-depmod; }\n' \
        "$W/dkms" "$W/src" "$W/install" "$KREL" "$KDIR"
    sed 1d "$W/recipe.sh"
} > "$W/run-recipe.sh"
start=$SECONDS
if (cd "$SRC" && bash "$W/run-recipe.sh") > "$W/recipe.log" 2>&1; then
    ok "README recipe dkms: add, build, install for $KREL ($((SECONDS - start)) s)"
else
    not_ok "README recipe dkms: add, build, install for $KREL"
    tail -n 40 "$W/recipe.log" | diag
    find "$W/dkms" -name make.log -exec tail -n 30 {} \; | diag
fi
KO=$W/install/$KREL/updates/dkms/rust_binder.ko
check "installed $KO" test -f "$KO"
check "dkms status: installed" \
    bash -c "dkms status --dkmstree '$W/dkms' --sourcetree '$W/src' --installtree '$W/install' -k '$KREL' | grep -q 'rust_binder/$VERSION, $KREL, .*: installed'"
check "its vermagic is $KREL's" bash -c "modinfo -F vermagic '$KO' | grep -q '^$KREL '"
check "it has the aliases binder_linux and fs-binder" \
    bash -c "modinfo -F alias '$KO' | grep -qx binder_linux && modinfo -F alias '$KO' | grep -qx fs-binder"
if [ -n "$OUT" ] && [ -f "$KO" ]; then
    rm -rf "$OUT" && mkdir -p "$OUT" && cp -a "$W/install/$KREL" "$OUT/"
fi

# ---- 2. make install --------------------------------------------------------
if make -s -C "$SRC" KDIR="$KDIR" install INSTALL_MOD_PATH="$W/root" > "$W/install.log" 2>&1; then
    ok "make install INSTALL_MOD_PATH=DIR"
else
    not_ok "make install INSTALL_MOD_PATH=DIR"
    tail -n 30 "$W/install.log" | diag
fi
check "modules.alias: binder_linux and fs-binder -> rust_binder" bash -c \
    "grep -qx 'alias binder_linux rust_binder' '$W/root/lib/modules/$KREL/modules.alias' &&
     grep -qx 'alias fs-binder rust_binder' '$W/root/lib/modules/$KREL/modules.alias'"

# ---- 3. the toolchain check -------------------------------------------------------
mkdir -p "$W/fake"
printf '#!/bin/sh\necho "rustc 1.62.0 (a8314ef7d 2022-06-27) (fake)"\n' > "$W/fake/rustc"
printf '#!/bin/sh\necho "bindgen 0.56.0 (fake)"\n' > "$W/fake/bindgen"
printf '#!/bin/sh\necho "clang version 14.0.6 (fake)"\n' > "$W/fake/clang"
chmod 755 "$W/fake/rustc" "$W/fake/bindgen" "$W/fake/clang"
conf() { sed -n "s/^CONFIG_$1=\"\(.*\)\"$/\1/p" "$KDIR/include/config/auto.conf"; }
# mismatch WHAT WANT HAVE MAKE-ARGS...: make stops fast, one message, both versions.
mismatch() {
    local what=$1 want=$2 have=$3 rc=0 t0=$SECONDS
    shift 3
    make -s -C "$SRC" KDIR="$KDIR" "$@" modules > "$W/mm.log" 2>&1 || rc=$?
    local secs=$((SECONDS - t0))
    if [ "$rc" != 0 ] && [ "$secs" -le 20 ] && grep -qF "$want" "$W/mm.log" && grep -qF "$have" "$W/mm.log" &&
        grep -q '^rust_binder: toolchain mismatch' "$W/mm.log" && grep -q 'Fix:' "$W/mm.log" &&
        [ "$(grep -c 'toolchain mismatch' "$W/mm.log")" = 1 ] && ! grep -qE '^error(\[|:)' "$W/mm.log"; then
        ok "another $what stops the build in ${secs} s with one message naming both versions"
    else
        not_ok "another $what stops the build at once with one message (exit $rc, ${secs} s)"
    fi
    diag < "$W/mm.log"
}
mismatch rustc "$(conf RUSTC_VERSION_TEXT)" "rustc 1.62.0" RUSTC="$W/fake/rustc"
mismatch bindgen "$(conf BINDGEN_VERSION_TEXT)" "bindgen 0.56.0" BINDGEN="$W/fake/bindgen"
mismatch clang "$(conf CC_VERSION_TEXT)" "clang version 14.0.6" LLVM="$W/fake/"
# Through DKMS: its make.log has the message.
rc=0
env RUSTC="$W/fake/rustc" dkms build rust_binder/"$VERSION" --force --dkmstree "$W/dkms" \
    --sourcetree "$W/src" --installtree "$W/install" -k "$KREL" --kernelsourcedir "$KDIR" \
    > "$W/dkms-mm.log" 2>&1 || rc=$?
log=$(find "$W/dkms" -name make.log | head -n1)
if [ "$rc" != 0 ] && [ -n "$log" ] && grep -q '^rust_binder: toolchain mismatch' "$log" &&
    grep -qF "rustc 1.62.0" "$log"; then
    ok "sudo env RUSTC=<another rustc> dkms build: fails, make.log names both versions"
else
    not_ok "sudo env RUSTC=<another rustc> dkms build: fails, make.log names both versions (exit $rc)"
    tail -n 20 "$W/dkms-mm.log" | diag
fi
[ -z "$log" ] || grep -A8 'toolchain mismatch' "$log" | diag

[ "$failed" = 0 ] || echo "# dkms_test: $failed of $n failed"
[ "$failed" = 0 ]
