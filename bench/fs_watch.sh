#!/bin/sh
# The fs-watch demo's own figures over ROUNDS runs: step 7's write -> parsed
# latency through inotify (a save renamed over msg.json, its directory
# watched), through polling (uv_fs_poll every POLL ms: its p50 is the age of
# the newest save a stat finds, saves being 10 ms apart), and the same seq
# one way through a pipe; step 6's polling with saves further apart than
# the interval (its real cost, about half the interval). A benchmark, never
# a test: it prints, it asserts nothing.
#
#   sh bench/fs_watch.sh [BUILD_DIR]     N=200 POLL=100 ROUNDS=3
set -u
BUILD=${1:-build}
N=${N:-200}
POLL=${POLL:-100}
ROUNDS=${ROUNDS:-3}
D="$BUILD/demos/fs-watch"
export IPCSCOPE_MSG_RATE=200
[ -x "$D" ] || { echo "fs_watch.sh: $D is not built (make)" >&2; exit 1; }
command -v jq >/dev/null || { echo "fs_watch.sh: needs jq" >&2; exit 1; }
echo "fs-watch bench: $N saves 10 ms apart, polling every $POLL ms; $ROUNDS rounds;" \
     "$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %12s %12s %12s %12s %12s %12s %14s\n' round inotify.p50 inotify.p99 pipe.p50 \
    pipe.p99 poll7.p50 poll6.p50 events/1000
i=1
while [ $i -le "$ROUNDS" ]; do
    "$D" --json --count 1 --measure "$N" --poll-ms "$POLL" 2>/dev/null | jq -r --arg r "$i" '
      select(.ev == "bye") | .summary as $s | $s.measure as $m |
      [$r, $m.inotify_p50_ns, $m.inotify_p99_ns, $m.pipe_p50_ns, $m.pipe_p99_ns,
       $m.poll_p50_ns, $s.polling.poll_p50_ns, $s.coalesce.events] | @tsv' |
      awk -F'\t' '{printf "%-6s %9.1f us %9.1f us %9.1f us %9.1f us %9.2f ms %9.2f ms %14d\n",
                   $1, $2/1e3, $3/1e3, $4/1e3, $5/1e3, $6/1e6, $7/1e6, $8}'
    i=$((i + 1))
done
