# Shared helpers for the end-to-end tests; sourced by tests/e2e/*.sh.
# Each check prints one PASS:, FAIL: or SKIP: line, which tests/run.sh counts.
# The script runs inside a private TMPDIR that tests/run.sh made for it.

: "${BUILD:=$(pwd)/build}"
: "${TOP:=$(pwd)}"
DEMOS="$BUILD/demos"
HELPERS="$BUILD/tests/helpers"

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; }
skip() { echo "SKIP: $*"; }

# check NAME COMMAND...: runs COMMAND, PASS when it succeeds.
check() {
    _name=$1; shift
    if "$@"; then pass "$_name"; else fail "$_name"; fi
}

# json_count FILE KIND: the number of events of one kind in an NDJSON file.
json_count() {
    grep -c "\"ev\":\"$2\"" "$1" 2>/dev/null || true
}
