#!/usr/bin/env bash
# rust_binder: generate Rust bindings for HEADER with the kernel's own bindgen
# command line (as saved in OBJTREE/rust/bindings/.bindings_generated.rs.cmd),
# so that layouts and options match the kernel the module is built for.
#
# usage: gen-bindings.sh OBJTREE HEADER OUT [extra bindgen options...]
set -euo pipefail
objtree=$(cd "$1" && pwd); hdr=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
out=$3; shift 3
extra=("$@")
case "$out" in /*) ;; *) out=$PWD/$out ;; esac

cmdfile=$objtree/rust/bindings/.bindings_generated.rs.cmd
[ -f "$cmdfile" ] || { echo "gen-bindings: $cmdfile missing: is $objtree a built Rust-enabled kernel?" >&2; exit 1; }
line=$(sed -n 's/^\(saved\)\{0,1\}cmd_[^ ]* := //p' "$cmdfile" | head -n1)
line=${line%%; sed*}
eval "set -- $line"

bindgen=${BINDGEN:-$1}; shift 2          # drop bindgen and the kernel's helper header
opts=() cflags=()
while [ $# -gt 0 ]; do
    case "$1" in
        -o) shift 2 ;;
        --) shift; break ;;
        *) opts+=("$1"); shift ;;
    esac
done
for a in "$@"; do
    case "$a" in -Wp,-MMD,*|-Wp,-MD,*) ;; *) cflags+=("$a") ;; esac
done

tmp=$out.tmp
cd "$objtree"
"$bindgen" "$hdr" "${opts[@]}" "${extra[@]}" -o "$tmp" -- "${cflags[@]}" -DMODULE \
    -I"$(dirname "$hdr")"
# Constants that bindgen can't see through a macro are exported by the header
# as `RUST_CONST_HELPER_NAME` variables; give them their real names.
sed -Ei 's/pub const RUST_CONST_HELPER_([a-zA-Z0-9_]*)/pub const \1/g' "$tmp"
mv "$tmp" "$out"
