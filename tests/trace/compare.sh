#!/usr/bin/env bash
# rust_binder: compare the binder trace events of the "trace" boots of
# scripts/check-tests.sh (binder_trace_test on the C driver and on
# rust_binder): TAP, one test per scenario (tests/trace/compare.py).
#
# Usage: tests/trace/compare.sh C_OUTPUT RUST_OUTPUT
set -euo pipefail
exec python3 "$(dirname "$0")/compare.py" "$@"
