#!/usr/bin/env bash
# rust_binder: build the Android-style userspace test (tests/android): the
# service, the client and the binderfs helper from this workspace, and rsb_hub
# (the service manager) from the rsbinder-tools crate. All fully static.
#
# Usage: tests/android/build.sh
# Prints the static binaries' paths on stdout, one per line, in this order:
#   rb-android-service rb-android-client rb-binderfs-mkdev rsb_hub rsb_device
# (rsb_device: rsbinder's device set-up tool, for tests/flows)
# (cargo's messages go to stderr). Idempotent; a warm run takes about a second.
#
# Environment: RUST_BINDER_CACHE (default ~/.cache/rust_binder): cargo's target
# dir is $RUST_BINDER_CACHE/cargo-android, rsb_hub is installed into
# $RUST_BINDER_CACHE/cargo-android/tools/bin, rsb_device into
# $RUST_BINDER_CACHE/cargo-android/tools-device/bin. Uses the rustup cargo on PATH.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${RUST_BINDER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rust_binder}
TARGET=x86_64-unknown-linux-gnu
# rsb_hub comes from the same release as the rsbinder crate in Cargo.lock.
RSBINDER_TOOLS_VERSION=0.12.0

mkdir -p "$CACHE"
export CARGO_TARGET_DIR=$CACHE/cargo-android
export RUSTFLAGS="-C target-feature=+crt-static"
# Only this toolchain and these flags: don't pick up a caller's cargo config.
unset CARGO_BUILD_TARGET CARGO_BUILD_RUSTFLAGS CARGO_ENCODED_RUSTFLAGS

locked=$(awk '$0 == "name = \"rsbinder\"" { getline; gsub(/version = |"/, ""); print }' "$HERE/Cargo.lock")
if [ "$locked" != "$RSBINDER_TOOLS_VERSION" ]; then
    echo "build.sh: Cargo.lock has rsbinder $locked but RSBINDER_TOOLS_VERSION is $RSBINDER_TOOLS_VERSION" >&2
    exit 1
fi

# --locked: use the committed Cargo.lock as it is.
(cd "$HERE" && cargo build --release --locked --target "$TARGET") >&2

# rsbinder's tools: `cargo install` with the crate's own published
# Cargo.lock (built in $CARGO_TARGET_DIR too), each binary in a root of its
# own; the stamp makes it a no-op once this version is installed.
# install_tool ROOT BIN WANT: installs BIN into ROOT/bin unless ROOT's stamp
# already says WANT.
install_tool() {
    local root=$1 bin=$2 want=$3 stamp=$1/$2.stamp
    if [ ! -x "$root/bin/$bin" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        rm -f "$stamp"
        (cd "$CACHE" && CARGO_PROFILE_RELEASE_STRIP=true cargo install --locked --force \
            --root "$root" --target "$TARGET" \
            --version "$RSBINDER_TOOLS_VERSION" --bin "$bin" rsbinder-tools) >&2
        echo "$want" > "$stamp"
    fi
}
TOOLS=$CARGO_TARGET_DIR/tools
HUB=$TOOLS/bin/rsb_hub
install_tool "$TOOLS" rsb_hub "rsbinder-tools $RSBINDER_TOOLS_VERSION $TARGET $RUSTFLAGS"
DTOOLS=$CARGO_TARGET_DIR/tools-device
DEVTOOL=$DTOOLS/bin/rsb_device
install_tool "$DTOOLS" rsb_device "rsbinder-tools $RSBINDER_TOOLS_VERSION $TARGET $RUSTFLAGS rsb_device"

# is_static ELF: no PT_INTERP program header (x86-64 little-endian ELF64).
is_static() {
    local f=$1 phoff phentsize phnum i t
    phoff=$(od -An -t u8 -j 32 -N 8 "$f" | tr -d ' ')
    phentsize=$(od -An -t u2 -j 54 -N 2 "$f" | tr -d ' ')
    phnum=$(od -An -t u2 -j 56 -N 2 "$f" | tr -d ' ')
    for ((i = 0; i < phnum; i++)); do
        t=$(od -An -t u4 -j $((phoff + i * phentsize)) -N 4 "$f" | tr -d ' ')
        [ "$t" != 3 ] || return 1
    done
}

OUT=$CARGO_TARGET_DIR/$TARGET/release
for b in "$OUT/rb-android-service" "$OUT/rb-android-client" "$OUT/rb-binderfs-mkdev" "$HUB" "$DEVTOOL"; do
    [ -x "$b" ] || { echo "build.sh: $b was not built" >&2; exit 1; }
    if ! is_static "$b"; then
        echo "build.sh: $b is not statically linked" >&2
        exit 1
    fi
    echo "$b"
done
