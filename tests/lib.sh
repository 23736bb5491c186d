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

# Events are read with jq, by field name, never by grep and sed on the order
# of the fields. A line that is not a JSON object (narration, or the last line
# while a demo is still writing it) is skipped. COND, where a helper takes one,
# is a jq condition on the event, e.g. '.dir == "recv" and .chan == "ipc"'.

# json_count FILE KIND [COND]: the number of events of one kind in an NDJSON
# file (0 when the file is missing).
json_count() {
    [ -e "$1" ] || { echo 0; return 0; }
    jq -nR --arg k "$2" "[inputs | fromjson? | objects | select(.ev == \$k and (${3:-true}))] | length" \
        "$1"
}

# has_event FILE KIND [COND]: FILE holds an event of KIND (matching COND).
has_event() { [ "$(json_count "$1" "$2" "${3:-true}")" -gt 0 ]; }

# wait_bounded PID [SECONDS]: wait for a background job, at most SECONDS
# (default 60); a job still running then is killed, and the wait fails.
wait_bounded() {
    _i=0; _limit=$(( ${2:-60} * 10 ))
    while kill -0 "$1" 2>/dev/null && [ $_i -lt $_limit ]; do sleep 0.1; _i=$((_i + 1)); done
    if kill -0 "$1" 2>/dev/null; then
        echo "FAIL: pid $1 still running after ${2:-60} s; killed"
        kill -9 "$1" 2>/dev/null; wait "$1" 2>/dev/null
        return 124
    fi
    wait "$1"
}

# field FILE KIND FIELD [COND]: the values of the top-level FIELD in events of
# KIND, one a line, in order: strings as they are, anything else as JSON.
# Events without FIELD give no line.
field() {
    [ -e "$1" ] || return 0
    jq -nRr --arg k "$2" --arg f "$3" \
        "inputs | fromjson? | objects | select(.ev == \$k and has(\$f) and (${4:-true})) | .[\$f]
         | if type == \"string\" then . else tojson end" "$1"
}

# events FILE KIND [COND]: the events of KIND (matching COND) themselves, one
# compact JSON object a line, in order, for a query of their own, e.g.
# `events f bye | jq -r .summary.sent`.
events() {
    [ -e "$1" ] || return 0
    jq -nRc --arg k "$2" "inputs | fromjson? | objects | select(.ev == \$k and (${3:-true}))" "$1"
}

# wait_event FILE KIND [COND] [TENTHS]: until FILE holds an event of KIND
# (matching COND), at most TENTHS tenths of a second (default 30 s).
wait_event() {
    _i=0
    while [ "$(json_count "$1" "$2" "${3:-true}")" -eq 0 ] && [ $_i -lt "${4:-300}" ]; do
        sleep 0.1; _i=$((_i + 1))
    done
    [ "$(json_count "$1" "$2" "${3:-true}")" -gt 0 ]
}

# wait_count FILE KIND COND N [TENTHS]: until FILE holds at least N events of
# KIND matching COND, at most TENTHS tenths of a second (default 30 s).
wait_count() {
    _i=0
    while [ "$(json_count "$1" "$2" "$3")" -lt "$4" ] && [ $_i -lt "${5:-300}" ]; do
        sleep 0.1; _i=$((_i + 1))
    done
    [ "$(json_count "$1" "$2" "$3")" -ge "$4" ]
}

# wait_for FILE PATTERN [TENTHS]: until a line of FILE matches (default 30 s)
wait_for() {
    _i=0
    while ! grep -q "$2" "$1" 2>/dev/null && [ $_i -lt "${3:-300}" ]; do sleep 0.1; _i=$((_i + 1)); done
    grep -q "$2" "$1"
}

# gone PID: the process has exited (a zombie counts: it is only waiting to be reaped)
gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# wait_gone PID: until gone, at most 20 s
wait_gone() { _i=0; while ! gone "$1" && [ $_i -lt 200 ]; do sleep 0.1; _i=$((_i + 1)); done; gone "$1"; }
