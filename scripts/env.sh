# rust_binder: shared settings for the scripts (sourced, not run).
# The kernel cache lives outside the checkout so fresh clones reuse it.
RB_CACHE=${RUST_BINDER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rust_binder}
RB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH=/usr/lib/llvm-19/bin:$PATH
RB_RUSTC=${RUSTC:-/usr/bin/rustc}
RB_RUSTDOC=${RUSTDOC:-/usr/bin/rustdoc}
RB_BINDGEN=${BINDGEN:-$HOME/.cargo/bin/bindgen}
RB_RUST_LIB_SRC=${RUST_LIB_SRC:-$(ls -d /usr/src/rustc-*/library 2>/dev/null | sort -V | tail -n1)}
RB_KMAKE=(make LLVM=1 RUSTC="$RB_RUSTC" RUSTDOC="$RB_RUSTDOC" BINDGEN="$RB_BINDGEN"
          RUST_LIB_SRC="$RB_RUST_LIB_SRC")
RB_KSRC_TAR=${KSRC_TAR:-/usr/src/linux-source-6.12.tar.xz}

# Bump when scripts/build-kernel.sh changes what it produces.
RB_KERNEL_RECIPE=1

# rb_kernel_key: a hash of everything that changes the kernel build.
rb_kernel_key() {
    {
        dpkg-query -W -f='${Version}\n' linux-source-6.12 2>/dev/null || stat -c %s "$RB_KSRC_TAR"
        echo "recipe $RB_KERNEL_RECIPE"
        cat "$RB_ROOT/scripts/kconfig/qemu-debug.config"
        "$RB_RUSTC" --version; clang --version | head -n1; "$RB_BINDGEN" --version
    } | sha256sum | cut -c1-16
}
# rb_kdir: the cached kernel build directory for the current key.
rb_kdir() { echo "$RB_CACHE/kernel-$(rb_kernel_key)"; }
