#!/usr/bin/env bash
# rust_binder: stop at once when the toolchain of this build is not the one
# that built the target kernel. A Rust module must be built by the very rustc
# (and bindgen, and clang) that built the kernel: another rustc fails with
# hundreds of "incompatible version of rustc" errors, another bindgen or
# clang makes bindings or objects that don't match the kernel's.
#
# Usage: scripts/check-toolchain.sh KDIR
#   Compares the kernel's configuration (KDIR/include/config/auto.conf, else
#   KDIR/.config) with what this build would run:
#     CONFIG_RUSTC_VERSION_TEXT    with  $RUSTC --version
#     CONFIG_BINDGEN_VERSION_TEXT  with  $BINDGEN --version     (if the kernel has it)
#     CONFIG_CC_VERSION_TEXT       with  $CC --version (first line), for a
#                                  clang kernel (CONFIG_CC_IS_CLANG)
# Environment: RUSTC, BINDGEN (default rustc, bindgen), CC (default: from
#   LLVM as kbuild derives it: LLVM=1 clang, LLVM=-19 clang-19, LLVM=DIR/
#   DIR/clang; else cc).
# Exit status 0 when everything matches; otherwise one message on stderr
# that names both versions and how to fix it, and exit status 1. A KDIR
# without a configuration is reported the same way (exit status 1).
set -euo pipefail

KDIR=${1:?usage: check-toolchain.sh KDIR}
RUSTC=${RUSTC:-rustc}
BINDGEN=${BINDGEN:-bindgen}
if [ -z "${CC:-}" ]; then
    case "${LLVM:-}" in
        '' | 0) CC=cc ;;
        1) CC=clang ;;
        */) CC=${LLVM}clang ;;
        -*) CC=clang$LLVM ;;
        *) CC=clang ;;
    esac
fi

CONF=$KDIR/include/config/auto.conf
[ -f "$CONF" ] || CONF=$KDIR/.config
if [ ! -f "$CONF" ]; then
    echo "rust_binder: $KDIR has no include/config/auto.conf or .config: not a configured kernel build tree (KDIR=...)" >&2
    exit 1
fi

# conf NAME: the value of CONFIG_NAME in $CONF, unquoted (empty if unset).
conf() {
    local v
    v=$(sed -n "s/^CONFIG_$1=//p" "$CONF" | tail -n1)
    v=${v#\"}; v=${v%\"}
    printf '%s' "${v//\\\"/\"}"
}
# version CMD...: the first line CMD prints, or "none (CMD: not found / failed)".
version() {
    local out
    if out=$(LC_ALL=C "$@" 2>/dev/null | head -n1) && [ -n "$out" ]; then
        printf '%s' "$out"
    else
        printf 'none (%s failed or not found)' "$*"
    fi
}

if [ "$(conf RUST)" != y ]; then
    echo "rust_binder: the kernel in $KDIR is built without CONFIG_RUST=y; rust_binder needs a kernel with Rust support" >&2
    exit 1
fi

problems=() fixes=()
want=$(conf RUSTC_VERSION_TEXT)
have=$(version "$RUSTC" --version)
if [ -n "$want" ] && [ "$want" != "$have" ]; then
    problems+=("rustc: the kernel was built with \"$want\", this build would use $RUSTC: \"$have\"")
    fixes+=("RUSTC=/path/to/that/rustc  (and RUST_LIB_SRC=/its/library source)")
fi
want=$(conf BINDGEN_VERSION_TEXT)
if [ -n "$want" ]; then
    have=$(version "$BINDGEN" --version)
    if [ "$want" != "$have" ]; then
        problems+=("bindgen: the kernel was built with \"$want\", this build would use $BINDGEN: \"$have\"")
        fixes+=("BINDGEN=/path/to/that/bindgen")
    fi
fi
if [ "$(conf CC_IS_CLANG)" = y ]; then
    want=$(conf CC_VERSION_TEXT)
    have=$(version "$CC" --version)
    if [ -n "$want" ] && [ "$want" != "$have" ]; then
        problems+=("clang: the kernel was built with \"$want\" (CONFIG_CLANG_VERSION=$(conf CLANG_VERSION)), this build would use $CC: \"$have\"")
        fixes+=("LLVM=/that/clang's/bin/dir/  (or LLVM=-NN for clang-NN, or LLVM=1 with it first on PATH)")
    fi
fi
[ ${#problems[@]} = 0 ] && exit 0

{
    echo "rust_binder: toolchain mismatch with the kernel in $KDIR; nothing was built:"
    printf '  %s\n' "${problems[@]}"
    echo "  Fix: build with the toolchain that built this kernel: make KDIR=$KDIR with"
    printf '    %s\n' "${fixes[@]}"
    echo "  (DKMS: sudo env RUSTC=... BINDGEN=... LLVM=... dkms build ..., see README)."
} >&2
exit 1
