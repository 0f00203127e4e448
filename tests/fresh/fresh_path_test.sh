#!/usr/bin/env bash
# rust_binder: proves the fresh-machine path of the README's commands without
# uninstalling anything. In a private mount namespace (unshare -m) it hides
# what set-up installs: an empty tmpfs over /usr/src (kernel source, Rust
# library source), an empty dpkg database (every package looks missing), an
# empty /usr/lib/llvm-19, a HOME without cargo binaries and an empty kernel
# cache. There it checks, as TAP:
#   - scripts/env.sh sources under `set -euo pipefail` and its functions work;
#   - setup.sh --dry-run lists the packages and bindgen-cli it would install;
#   - `make check` and `make demo` (RB_DRY_RUN=1) get through their opening to
#     set-up instead of dying before it;
#   - build-kernel.sh and run-vm.sh stop with a message naming set-up.
# Before the fix of issue 7, the first and third cases failed (env.sh died on
# the missing /usr/src/rustc-*/library).
#
# Usage: tests/fresh/fresh_path_test.sh    (root, for unshare -m)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

if [ "${1-}" != --inside ]; then
    if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then
        echo "1..0 # SKIP needs root and unshare"
        exit 0
    fi
    exec unshare -m --propagation private bash "$0" --inside
fi

# ---- inside the private mount namespace ----
empty=$(mktemp -d)
mount -t tmpfs none "$empty"
mkdir -p "$empty/usr-src" "$empty/dpkg/info" "$empty/llvm" "$empty/home" "$empty/cache"
: > "$empty/dpkg/status"
mount --bind "$empty/usr-src" /usr/src
mount --bind "$empty/dpkg" /var/lib/dpkg
[ -d /usr/lib/llvm-19 ] && mount --bind "$empty/llvm" /usr/lib/llvm-19
export HOME=$empty/home
export XDG_CACHE_HOME=$empty/cache
unset RUST_BINDER_CACHE RUST_LIB_SRC BINDGEN RUSTC RUSTDOC KDIR KDIR_PERF

n=0 fails=0
echo "1..7"
result() { # result OK|FAIL NAME [DETAIL]
    n=$((n + 1))
    if [ "$1" = OK ]; then echo "ok $n $2"; else
        echo "not ok $n $2"; fails=$((fails + 1))
        [ -z "${3-}" ] || printf '%s\n' "$3" | sed 's/^/#   /'
    fi
}

out=$(bash -c 'set -euo pipefail; . "$1/scripts/env.sh"; echo "src=[$(rb_rust_lib_src)]"; rb_kdir debug; rb_kdir perf; echo sourced' _ "$ROOT" 2>&1)
if grep -q '^sourced$' <<<"$out" && grep -q '^src=\[\]$' <<<"$out"; then
    result OK "env.sh sources under set -euo pipefail with nothing installed"
else
    result FAIL "env.sh sources under set -euo pipefail with nothing installed" "$out"
fi

out=$(bash "$ROOT/scripts/setup.sh" --dry-run 2>&1); rc=$?
if [ $rc = 0 ] && grep -q 'would install Debian packages:.* linux-source-6.12' <<<"$out" &&
   grep -q 'rust-web-src' <<<"$out" && grep -q 'rustc-web' <<<"$out" &&
   grep -q 'would install bindgen-cli' <<<"$out"; then
    result OK "setup.sh --dry-run lists the packages and bindgen-cli"
else
    result FAIL "setup.sh --dry-run lists the packages and bindgen-cli" "rc=$rc $out"
fi

for w in check demo; do
    out=$(cd "$ROOT" && RB_DRY_RUN=1 make -s "$w" 2>&1); rc=$?
    if [ $rc = 0 ] && grep -q "would install Debian packages" <<<"$out" && grep -q 'stopping after set-up' <<<"$out"; then
        result OK "make $w reaches set-up on a fresh machine"
    else
        result FAIL "make $w reaches set-up on a fresh machine" "rc=$rc $out"
    fi
done

out=$(bash "$ROOT/scripts/build-kernel.sh" debug 2>&1); rc=$?
if [ $rc != 0 ] && grep -q 'run scripts/setup.sh first' <<<"$out"; then
    result OK "build-kernel.sh before set-up says to run set-up"
else
    result FAIL "build-kernel.sh before set-up says to run set-up" "rc=$rc $out"
fi

out=$(bash "$ROOT/scripts/run-vm.sh" --driver c /bin/true 2>&1); rc=$?
if [ $rc != 0 ] && grep -q 'build-kernel.sh' <<<"$out"; then
    result OK "run-vm.sh before set-up says to build the kernel"
else
    result FAIL "run-vm.sh before set-up says to build the kernel" "rc=$rc $out"
fi

# Nothing was installed: the dry runs left the hidden trees empty.
if [ -z "$(find "$empty/usr-src" "$empty/home" -mindepth 1 | head -n1)" ]; then
    result OK "dry runs installed nothing"
else
    result FAIL "dry runs installed nothing" "$(find "$empty/usr-src" "$empty/home" -mindepth 1 | head)"
fi
# Only this namespace's mounts go away with it; nothing is unmounted outside.
[ $fails = 0 ]
