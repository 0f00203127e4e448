# rust_binder: helpers for the flow tests (tests/flows/*.sh), sourced INSIDE
# the VM (busybox sh). Set FLOW (the flow's name) before sourcing.
#
# ok/not_ok print TAP result lines "ok - FLOW: ..." (counted by run-vm.sh and
# check-tests.sh); diag prints "# ..." lines. The flow exits with
# flow_exit: status 1 if any step failed.
#
# The README recipes are in /tests/recipe-NAME.sh (scripts/readme-recipe.sh
# on the host); /tests (on PATH) also has the Android-style suite (run.sh and
# its binaries), rsb_device, rb-binderfs-mkdev and a `sudo` that just runs
# its arguments (the guest has no sudo; everything runs as root already).
: "${FLOW:?FLOW must be set}"
flow_failed=0
ok() { echo "ok - $FLOW: $*"; }
not_ok() { echo "not ok - $FLOW: $*"; flow_failed=$((flow_failed + 1)); }
diag() { echo "# $*"; }
check() { # check DESCRIPTION CMD...: ok if CMD succeeds
    d=$1; shift
    if "$@"; then ok "$d"; else not_ok "$d"; fi
}
flow_exit() { [ "$flow_failed" = 0 ] || diag "$FLOW: $flow_failed failed"; [ "$flow_failed" = 0 ]; exit $?; }
bail() { not_ok "$*"; echo "# Bail out of $FLOW"; exit 1; }

# recipe NAME: run README recipe NAME; its output as diagnostics.
recipe() {
    rf=/tests/recipe-$1.sh
    [ -f "$rf" ] || { not_ok "README recipe $1 (no $rf)"; return 1; }
    rout=$(mktemp /tmp/recipe.XXXXXX)
    sh "$rf" >"$rout" 2>&1
    rrc=$?
    sed 's/^/#   /' "$rout"
    rm -f "$rout"
    if [ "$rrc" = 0 ]; then ok "README recipe \"$1\" ran"; else not_ok "README recipe \"$1\" ran (exit status $rrc)"; fi
    return "$rrc"
}

# mode PATH: the permission bits of PATH (following symlinks), octal.
mode() { stat -L -c %a "$1" 2>/dev/null; }

# suite AS DEVICE PATH: the Android-style suite (tests/android/run.sh: rsb_hub,
# the AIDL service and client) on binderfs device DEVICE, the service and
# client opening PATH; AS is "root" or a user name (run under su). Its TAP
# lines are renamed into this flow's.
suite() {
    sout=$(mktemp /tmp/suite.XXXXXX)
    chmod 644 "$sout"
    cmd="RB_DEVICE=$2 RB_DEVICE_PATH=$3 sh /tests/run.sh /tests"
    if [ "$1" = root ]; then
        sh -c "$cmd" >"$sout" 2>&1 </dev/null
    else
        su -s /bin/sh "$1" -c "$cmd" >"$sout" 2>&1 </dev/null
    fi
    src=$?
    nbad=0
    while IFS= read -r line; do
        case "$line" in
            "ok "[0-9]*) rest=${line#ok }; ok "android ($1, $3): ${rest#* - }" ;;
            "not ok "[0-9]*) rest=${line#not ok }; not_ok "android ($1, $3): ${rest#* - }"; nbad=$((nbad + 1)) ;;
            1..*) ;;
            "Bail out!"*) not_ok "android ($1, $3): $line"; nbad=$((nbad + 1)) ;;
            *) echo "# $line" ;;
        esac
    done <"$sout"
    rm -f "$sout"
    [ "$src" = 0 ] || [ "$nbad" != 0 ] || not_ok "android ($1, $3): run.sh exit status $src"
    return "$src"
}
