#!/usr/bin/env bash
# rust_binder: build the rsbinder AIDL benchmark (benchmarks/android) and
# rsb_hub (the service manager, from the rsbinder-tools crate), both static.
#
# Usage: benchmarks/android/build.sh
# Prints the two binaries' paths on stdout, in this order:
#   rb-bench-aidl rsb_hub
# (cargo's messages go to stderr). Idempotent: a cold build takes about
# 3 minutes, a warm one a second.
#
# Environment: RUST_BINDER_CACHE (default ~/.cache/rust_binder): cargo's
# target dir is $RUST_BINDER_CACHE/cargo-bench, rsb_hub is installed into
# $RUST_BINDER_CACHE/cargo-bench/tools/bin. Uses the cargo on PATH.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${RUST_BINDER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rust_binder}
TARGET=x86_64-unknown-linux-gnu
RSBINDER_TOOLS_VERSION=0.12.0
export PATH=$HOME/.cargo/bin:$PATH

command -v cargo >/dev/null || { echo "android/build.sh: no cargo on PATH" >&2; exit 1; }
mkdir -p "$CACHE"
export CARGO_TARGET_DIR=$CACHE/cargo-bench
export RUSTFLAGS="-C target-feature=+crt-static"
unset CARGO_BUILD_TARGET CARGO_BUILD_RUSTFLAGS CARGO_ENCODED_RUSTFLAGS

(cd "$HERE" && cargo build --release --locked --target "$TARGET") >&2

TOOLS=$CARGO_TARGET_DIR/tools
HUB=$TOOLS/bin/rsb_hub
STAMP=$TOOLS/rsb_hub.stamp
want="rsbinder-tools $RSBINDER_TOOLS_VERSION $TARGET $RUSTFLAGS"
if [ ! -x "$HUB" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
    rm -f "$STAMP"
    (cd "$CACHE" && CARGO_PROFILE_RELEASE_STRIP=true cargo install --locked --force \
        --root "$TOOLS" --target "$TARGET" \
        --version "$RSBINDER_TOOLS_VERSION" --bin rsb_hub rsbinder-tools) >&2
    echo "$want" > "$STAMP"
fi

for b in "$CARGO_TARGET_DIR/$TARGET/release/rb-bench-aidl" "$HUB"; do
    [ -x "$b" ] || { echo "android/build.sh: $b was not built" >&2; exit 1; }
    # Static: no PT_INTERP, so no "interpreter" in file(1)'s words; check the
    # ELF program headers directly (readelf may be missing).
    if od -An -c -N 4096 "$b" | tr -d ' \n' | grep -q 'ld-linux'; then
        echo "android/build.sh: $b is not statically linked" >&2
        exit 1
    fi
    echo "$b"
done
