# rust_binder: shared settings for the scripts (sourced, not run).
#
# Sourcing this file never fails and never needs a package, a tool or a
# cache to exist: on a fresh machine the workflows source it before
# scripts/setup.sh has installed anything (tests/fresh/fresh_path_test.sh
# proves it). Everything that probes the machine is a function, called only
# after set-up.
RB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RB_CACHE=${RUST_BINDER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rust_binder}
case ":$PATH:" in *:/usr/lib/llvm-19/bin:*) ;; *) export PATH=/usr/lib/llvm-19/bin:$PATH ;; esac
RB_RUSTC=${RUSTC:-/usr/bin/rustc}
RB_RUSTDOC=${RUSTDOC:-/usr/bin/rustdoc}
RB_BINDGEN=${BINDGEN:-$HOME/.cargo/bin/bindgen}
RB_KSRC_TAR=${KSRC_TAR:-/usr/src/linux-source-6.12.tar.xz}

# Bump when scripts/build-kernel.sh changes what it produces.
RB_KERNEL_RECIPE=2
# The kernel flavours: debug (the test kernel: KASAN, lockdep, kmemleak...)
# and perf (production-like: no debugging option).
RB_FLAVOURS="debug perf"

# rb_rust_lib_src: the Rust library source the kernel needs (Debian's
# rust-web-src), or RUST_LIB_SRC. Prints nothing if there is none yet.
rb_rust_lib_src() {
    if [ -n "${RUST_LIB_SRC:-}" ]; then echo "$RUST_LIB_SRC"; return 0; fi
    local d last=
    for d in /usr/src/rustc-*/library; do [ -d "$d" ] && last=$d; done
    # The glob sorts lexically; pick the highest version.
    if [ -n "$last" ]; then
        printf '%s\n' /usr/src/rustc-*/library | sort -V | tail -n1
    fi
    return 0
}

# rb_kmake: the kernel's make with the project's toolchain (LLVM=1, Debian's
# rustc, the cargo-installed bindgen).
rb_kmake() {
    make LLVM=1 RUSTC="$RB_RUSTC" RUSTDOC="$RB_RUSTDOC" BINDGEN="$RB_BINDGEN" \
        RUST_LIB_SRC="$(rb_rust_lib_src)" "$@"
}

# rb_kernel_key FLAVOUR: a hash of everything that changes that kernel build.
rb_kernel_key() {
    local flavour=${1:-debug}
    {
        dpkg-query -W -f='${Version}\n' linux-source-6.12 2>/dev/null || stat -c %s "$RB_KSRC_TAR" 2>/dev/null || true
        echo "recipe $RB_KERNEL_RECIPE flavour $flavour"
        cat "$RB_ROOT/scripts/kconfig/base.config" "$RB_ROOT/scripts/kconfig/$flavour.config" 2>/dev/null || true
        "$RB_RUSTC" --version 2>/dev/null || true
        clang --version 2>/dev/null | head -n1 || true
        "$RB_BINDGEN" --version 2>/dev/null || true
    } | sha256sum | cut -c1-16
}
# rb_kdir [FLAVOUR]: the cached kernel build directory for the current key.
rb_kdir() { local f=${1:-debug}; echo "$RB_CACHE/kernel-$f-$(rb_kernel_key "$f")"; }

# rb_step MESSAGE: a progress line with the time since the workflow began.
rb_step() { echo "[$(date +%H:%M:%S)] $*" >&2; }
