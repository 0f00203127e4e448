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
# target dir is $RUST_BINDER_CACHE/cargo-bench; rsb_hub is the one
# tests/android/build.sh installs. Uses the cargo on PATH.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${RUST_BINDER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rust_binder}
TARGET=x86_64-unknown-linux-gnu
export PATH=$HOME/.cargo/bin:$PATH

command -v cargo >/dev/null || { echo "android/build.sh: no cargo on PATH" >&2; exit 1; }
mkdir -p "$CACHE"
export CARGO_TARGET_DIR=$CACHE/cargo-bench
export RUSTFLAGS="-C target-feature=+crt-static"
unset CARGO_BUILD_TARGET CARGO_BUILD_RUSTFLAGS CARGO_ENCODED_RUSTFLAGS

(cd "$HERE" && cargo build --release --locked --target "$TARGET") >&2

# rsb_hub: the one the Android-style suite installs (its build prints it
# last), not a second copy.
# tests/android/build.sh prints its binaries one per line: take rsb_hub by name.
HUB=$(bash "$HERE/../../tests/android/build.sh" | grep '/rsb_hub$' | tail -n1)
[ -x "$HUB" ] || { echo "android/build.sh: no rsb_hub from tests/android/build.sh" >&2; exit 1; }

b=$CARGO_TARGET_DIR/$TARGET/release/rb-bench-aidl
[ -x "$b" ] || { echo "android/build.sh: $b was not built" >&2; exit 1; }
if od -An -c -N 4096 "$b" | tr -d ' \n' | grep -q 'ld-linux'; then
    echo "android/build.sh: $b is not statically linked" >&2
    exit 1
fi
echo "$b"
echo "$HUB"
