#!/bin/sh
# The worker-pool demo's own figures over ROUNDS runs: step 6's tasks per
# second and per-task p50 (submit to answer) for 1, 2, 4 and 8 workers,
# threads then processes, heavyCalculation(1000) each, as many in flight as
# workers; and step 4's 10 ms timer behind the heavy loop on the main thread
# and on the pool. A benchmark, never a test: it prints, it asserts nothing.
#
#   sh bench/worker_pool.sh [BUILD_DIR]     TASKS=500 ROUNDS=3
set -u
BUILD=${1:-build}
TASKS=${TASKS:-500}
ROUNDS=${ROUNDS:-3}
D="$BUILD/demos/worker-pool"
[ -x "$D" ] || { echo "worker_pool.sh: $D is not built (make)" >&2; exit 1; }
command -v jq >/dev/null || { echo "worker_pool.sh: needs jq" >&2; exit 1; }
echo "worker-pool bench: $TASKS tasks for each of 1, 2, 4, 8 workers; $ROUNDS rounds;" \
     "$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %-9s %8s %8s %8s %8s   %s\n' round kind 1 2 4 8 "p50 ms (1 2 4 8)"
i=1
while [ $i -le "$ROUNDS" ]; do
    "$D" --json --count 1 --measure "$TASKS" 2>/dev/null | jq -r --arg r "$i" '
      select(.ev == "bye") | .summary as $s |
      (("threads", "processes") as $kind | $s.measure[$kind] as $k |
       [$r, $kind] + ($k | map(.tasks_per_s | floor))
       + [($k | map(.p50_ms * 100 | floor / 100) | join(" "))]),
      [$r, "timer", "late on main \($s.loop.main_late_ms * 10 | floor / 10) ms behind a \($s.loop.block_ms * 10 | floor / 10) ms loop, on the pool \($s.loop.pool_late_ms * 100 | floor / 100) ms"]
      | @tsv' | awk -F'\t' '{ if ($2 == "timer") printf "%-6s %-9s %s\n", $1, $2, $3;
                             else printf "%-6s %-9s %8s %8s %8s %8s   %s\n", $1, $2, $3, $4, $5, $6, $7 }'
    i=$((i + 1))
done
