#!/bin/sh
# The shared-memory demo's own figures over ROUNDS runs: step 8's round trip
# three ways (both threads spinning on a word of shared memory, waiting on a
# futex, one byte each way over a socketpair), step 9's ring between two
# processes (futex wake-ups, tracing on, sampled at 200 msg events a second),
# and step 3's lost update. A benchmark, never a test: it prints, it asserts
# nothing.
#
#   sh bench/shared_memory.sh [BUILD_DIR]     N=20000 COUNT=2000 ROUNDS=3
set -u
BUILD=${1:-build}
N=${N:-20000}
COUNT=${COUNT:-2000}
ROUNDS=${ROUNDS:-3}
D="$BUILD/demos/shared-memory"
export IPCSCOPE_MSG_RATE=200
[ -x "$D" ] || { echo "shared_memory.sh: $D is not built (make)" >&2; exit 1; }
command -v jq >/dev/null || { echo "shared_memory.sh: needs jq" >&2; exit 1; }
echo "shared-memory bench: $N round trips each way, $COUNT through the ring; $ROUNDS rounds;" \
     "$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %10s %10s %10s %10s %10s %10s %10s %10s %12s\n' round spin.p50 spin.p99 futex.p50 \
    futex.p99 sock.p50 sock.p99 ring.p50 ring.p99 plain.lost%
i=1
while [ $i -le "$ROUNDS" ]; do
    "$D" --json --count "$COUNT" --measure "$N" 2>/dev/null | jq -r --arg r "$i" '
      select(.ev == "bye") | .summary as $s | $s.measure as $m |
      [$r, $m.spin_p50_ns, $m.spin_p99_ns, $m.futex_p50_ns, $m.futex_p99_ns,
       $m.socket_p50_ns, $m.socket_p99_ns, $s.p50, $s.p99,
       ((($s.counter.expected - $s.counter.plain) * 1000 / $s.counter.expected | floor) / 10)]
      | @tsv' | awk -F'\t' '{printf "%-6s %8d ns %8d ns %8d ns %8d ns %8d ns %8d ns %8d ns %8d ns %11s%%\n",
                             $1, $2, $3, $4, $5, $6, $7, $8, $9, $10}'
    i=$((i + 1))
done
