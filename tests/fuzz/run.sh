#!/bin/sh
# Runs each fuzz target (BUILD/fuzz/fuzz_*) for SECONDS, one after another,
# and prints for each libFuzzer's own last word: "Done N runs in S second(s)",
# or where the input that crashed it was written. Exits 1 when one crashed.
#
#   sh tests/fuzz/run.sh [BUILD_DIR] [SECONDS] [FILTER]
#
# Each target keeps its corpus in BUILD/corpus/NAME, so a second run starts
# where the first left off; tests/fuzz/inputs/NAME, when it exists, starts it
# (read only), and the dashboard's event reader is also started with the
# recorded streams of tests/data. Logs go to BUILD/logs/NAME.log, crashing
# inputs to BUILD/crashes/.
set -u
BUILD=${1:-build-fuzz}
SECONDS_EACH=${2:-60}
FILTER=${3:-}
TOP=$(cd "$(dirname "$0")/../.." && pwd)

mkdir -p "$BUILD/corpus" "$BUILD/logs" "$BUILD/crashes" "$BUILD/inputs"

# A recorded stream, cut into pieces of about 2 kB at line ends, each after
# the set-up byte fuzz_events reads first.
event_inputs() {
    dir="$BUILD/inputs/fuzz_events"
    [ -d "$dir" ] && return
    mkdir -p "$dir"
    for f in "$TOP"/tests/data/*.ndjson; do
        split -C 2000 "$f" "$dir/.piece-"
        for p in "$dir"/.piece-*; do
            { printf '\000'; cat "$p"; } >"$dir/$(basename "$f" .ndjson)-${p##*-}"
            rm -f "$p"
        done
    done
}

crashed=0
for bin in "$BUILD"/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    case "$bin" in *.d | *.o) continue ;; esac
    name=$(basename "$bin")
    [ -n "$FILTER" ] && case "$name" in *"$FILTER"*) ;; *) continue ;; esac
    corpus="$BUILD/corpus/$name"
    mkdir -p "$corpus"
    inputs=""
    [ -d "$TOP/tests/fuzz/inputs/$name" ] && inputs="$TOP/tests/fuzz/inputs/$name"
    if [ "$name" = fuzz_events ]; then
        event_inputs
        inputs="$inputs $BUILD/inputs/fuzz_events"
    fi
    log="$BUILD/logs/$name.log"
    printf '%-14s %ss ... ' "$name" "$SECONDS_EACH"
    # shellcheck disable=SC2086
    "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$BUILD/crashes/$name-" "$corpus" $inputs >"$log" 2>&1
    rc=$?
    done_line=$(grep -E '^Done [0-9]+ runs' "$log" | tail -n 1)
    if [ $rc -eq 0 ] && [ -n "$done_line" ]; then
        echo "$done_line, no crash"
    else
        crashed=1
        runs=$(grep -E '^stat::number_of_executed_units' "$log" | sed 's/.*: *//')
        artifact=$(grep -E 'Test unit written to' "$log" | tail -n 1 | sed 's/.*written to //')
        echo "CRASHED after ${runs:-?} runs (exit $rc): ${artifact:-no input written}; see $log"
    fi
done
exit $crashed
