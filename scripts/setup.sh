#!/usr/bin/env bash
# rust_binder: install what building the kernel, the module and the tests needs.
# Idempotent: packages already installed and a bindgen already on PATH are kept.
set -euo pipefail

PKGS=(linux-source-6.12 rustc-web rust-web-src clang-19 lld-19 llvm-19 libclang-19-dev
      flex bison bc libelf-dev libssl-dev cpio kmod xz-utils dwarves rsync
      qemu-system-x86 busybox-static make gcc libc6-dev)

die() { echo "setup: $*" >&2; exit 1; }

missing=()
for p in "${PKGS[@]}"; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$st" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
    command -v apt-get >/dev/null || die "apt-get not found; install by hand: ${missing[*]}"
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=sudo
        else die "not root and no password-less sudo; install by hand: ${missing[*]}"; fi
    else SUDO=; fi
    echo "setup: installing ${missing[*]}"
    $SUDO apt-get update -qq || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null || die "apt-get install failed for: ${missing[*]}"
fi

BINDGEN=${BINDGEN:-$HOME/.cargo/bin/bindgen}
if ! [ -x "$BINDGEN" ]; then
    command -v cargo >/dev/null || die "cargo not found: needed to install bindgen-cli"
    echo "setup: cargo install --locked bindgen-cli"
    cargo install --locked bindgen-cli >/dev/null 2>&1 || die "cargo install bindgen-cli failed"
fi
echo "setup: ok ($("$BINDGEN" --version))"
