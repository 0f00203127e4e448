#!/usr/bin/env bash
# rust_binder: install what building the kernel, the module and the tests needs.
# Idempotent: packages already installed and a bindgen already there are kept.
#
# Usage: scripts/setup.sh [--dry-run]
#   --dry-run  list what would be installed ("setup: would install ...") and
#              change nothing
#
# Needs only bash, coreutils and dpkg; apt-get and root (or password-less
# sudo) when something is missing, cargo for bindgen-cli.
set -euo pipefail
. "$(dirname "$0")/env.sh"

DRY=0
case "${1-}" in
    --dry-run) DRY=1 ;;
    '') ;;
    *) echo "usage: scripts/setup.sh [--dry-run]" >&2; exit 2 ;;
esac

PKGS=(linux-source-6.12 rustc-web rust-web-src clang-19 lld-19 llvm-19 libclang-19-dev
      flex bison bc libelf-dev libssl-dev cpio kmod xz-utils dwarves rsync
      qemu-system-x86 busybox-static make gcc libc6-dev util-linux gnuplot-nox dkms)

die() { echo "setup: $*" >&2; exit 1; }

missing=()
for p in "${PKGS[@]}"; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$st" = "install ok installed" ] || missing+=("$p")
done
need_bindgen=0
[ -x "$RB_BINDGEN" ] || need_bindgen=1

if [ "$DRY" = 1 ]; then
    [ ${#missing[@]} = 0 ] || echo "setup: would install Debian packages: ${missing[*]}"
    [ $need_bindgen = 0 ] || echo "setup: would install bindgen-cli with cargo into $(dirname "$RB_BINDGEN")"
    [ ${#missing[@]} != 0 ] || [ $need_bindgen != 0 ] || echo "setup: nothing to install"
    exit 0
fi

if [ ${#missing[@]} -gt 0 ]; then
    command -v apt-get >/dev/null || die "apt-get not found; install by hand: ${missing[*]}"
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=sudo
        else die "not root and no password-less sudo; install by hand: ${missing[*]}"; fi
    else SUDO=; fi
    rb_step "setup: installing ${#missing[@]} Debian packages (about 3 minutes on a fresh machine): ${missing[*]}"
    rb_step "setup: apt-get update"
    $SUDO apt-get update -qq || die "apt-get update failed"
    log=$(mktemp "${TMPDIR:-/tmp}/rb-setup.XXXXXX")
    rb_step "setup: apt-get install (log: $log)"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends \
        -o Dpkg::Progress-Fancy=0 "${missing[@]}" >"$log" 2>&1 &
    apid=$!
    while kill -0 "$apid" 2>/dev/null; do
        sleep 15
        kill -0 "$apid" 2>/dev/null || break
        got=$(grep -c '^Setting up ' "$log" || true)
        rb_step "setup: apt-get install: $got packages set up so far"
    done
    wait "$apid" || { tail -n 20 "$log" >&2; die "apt-get install failed for: ${missing[*]}"; }
    rm -f "$log"
    rb_step "setup: Debian packages installed"
fi

if [ $need_bindgen = 1 ]; then
    command -v cargo >/dev/null || die "cargo not found: needed to install bindgen-cli"
    rb_step "setup: cargo install --locked bindgen-cli (about 2 minutes)"
    n=0
    while IFS= read -r line; do
        case "$line" in
            *Compiling*) n=$((n + 1)); [ $((n % 20)) != 0 ] || rb_step "setup: bindgen-cli: $n crates compiled" ;;
            *Installing*|*Finished*|*error*) rb_step "setup: bindgen-cli: ${line#"${line%%[! ]*}"}" ;;
        esac
    done < <(cargo install --locked --root "$(dirname "$(dirname "$RB_BINDGEN")")" bindgen-cli 2>&1 || true)
    [ -x "$RB_BINDGEN" ] || die "cargo install bindgen-cli failed"
fi
rb_step "setup: ok ($("$RB_BINDGEN" --version), $("$RB_RUSTC" --version))"
