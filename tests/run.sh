#!/bin/sh
# Runs every test of ipcscope and ends with one line: "N passed, N failed[, N skipped]".
#
#   sh tests/run.sh [BUILD_DIR] [FILTER]
#
# Unit tests are Check programs (build/tests/test_*): each test case runs in its
# own process with a timeout, and the runner reads Check's own summary. The
# end-to-end tests are shell scripts (tests/e2e/*.sh) that print PASS:, FAIL:
# and SKIP: lines through tests/lib.sh. Every test runs with a private TMPDIR and
# a marker in its environment, so that afterwards the runner can prove that no
# process, socket file, FIFO or shared-memory name of the run is left behind.
set -u
BUILD=${1:-build}
FILTER=${2:-}
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$BUILD" && pwd)

RUN_ID="ipcscope-test-$$"
RUN_TMP=$(mktemp -d "${TMPDIR:-/tmp}/$RUN_ID.XXXXXX")
chmod 700 "$RUN_TMP"
trap 'rm -rf "$RUN_TMP"' EXIT
export TMPDIR="$RUN_TMP" IPCSCOPE_TEST_RUN="$RUN_ID" BUILD TOP
export CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-120}

passed=0 failed=0 skipped=0
LOG="$RUN_TMP/.log"

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    case "$t" in *.o|*.d) continue ;; esac
    name=$(basename "$t")
    [ -n "$FILTER" ] && case "$name" in *"$FILTER"*) ;; *) continue ;; esac
    echo "== $name"
    (cd "$RUN_TMP" && CK_VERBOSITY=normal "$t") >"$LOG" 2>&1
    rc=$?
    sed 's/^/   /' "$LOG"
    summary=$(grep -E '^[0-9]+%: Checks: [0-9]+' "$LOG" | tail -n 1)
    if [ -n "$summary" ]; then
        n=$(echo "$summary" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
        f=$(echo "$summary" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
        e=$(echo "$summary" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
        passed=$((passed + n - f - e))
        failed=$((failed + f + e))
    else
        echo "   FAIL: $name printed no summary (exit $rc)"
        failed=$((failed + 1))
    fi
done

for t in "$TOP"/tests/e2e/*.sh; do
    [ -f "$t" ] || continue
    name=$(basename "$t" .sh)
    [ -n "$FILTER" ] && case "$name" in *"$FILTER"*) ;; *) continue ;; esac
    echo "== $name"
    dir="$RUN_TMP/$name"
    mkdir -m 700 "$dir"
    (cd "$dir" && TMPDIR="$dir" timeout -k 10 600 sh "$t") >"$LOG" 2>&1
    rc=$?
    sed 's/^/   /' "$LOG"
    p=$(grep -c '^PASS:' "$LOG")
    f=$(grep -c '^FAIL:' "$LOG")
    s=$(grep -c '^SKIP:' "$LOG")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "   FAIL: $name exited with status $rc"
        f=1
    fi
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done

# Nothing left behind: processes carrying this run's marker, socket files and
# FIFOs under its private TMPDIR, shared-memory names that carry its id.
echo "== leftovers"
sleep 0.2
left=""
# under_runner PID: true when PID descends from this runner (its own pipelines).
under_runner() {
    _p=$1
    while [ -n "$_p" ] && [ "$_p" -gt 1 ]; do
        [ "$_p" = "$$" ] && return 0
        _p=$(awk '/^PPid:/ {print $2}' "/proc/$_p/status" 2>/dev/null)
    done
    return 1
}
for env in /proc/[0-9]*/environ; do
    pid=${env#/proc/}; pid=${pid%/environ}
    tr '\0' '\n' 2>/dev/null <"$env" | grep -qx "IPCSCOPE_TEST_RUN=$RUN_ID" || continue
    under_runner "$pid" && continue
    left="$left $pid($(cat /proc/$pid/comm 2>/dev/null))"
done
if [ -n "$left" ]; then
    echo "FAIL: processes left running:$left"
    for p in $left; do kill -9 "${p%%(*}" 2>/dev/null; done
    failed=$((failed + 1))
else
    echo "   PASS: no process left"; passed=$((passed + 1))
fi
files=$(find "$RUN_TMP" \( -type s -o -type p \) 2>/dev/null)
shm=$(ls /dev/shm 2>/dev/null | grep -F "$RUN_ID" || true)
if [ -n "$files$shm" ]; then
    echo "FAIL: left behind: $files $shm"
    failed=$((failed + 1))
else
    echo "   PASS: no socket file, FIFO or shm name left"; passed=$((passed + 1))
fi

if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
