#!/bin/sh
# The patterns demo's own figures over ROUNDS runs of its lesson: article
# 004's batching (1,000 sends, one batch, a batcher of --batch-size items or
# --flush-ms), JSON against MessagePack for the 1,000-user object, the
# MessagePack Buffer on a JSON channel, 004's size check after the parse,
# one hrtime sample against the median of N round trips, and (with node)
# node's 'json' channel against 'advanced', N small and N/10 large round
# trips, node to node. A benchmark,
# never a test: it prints, it asserts nothing.
#
#   sh bench/patterns.sh [BUILD_DIR]     N=1000 ROUNDS=3
set -u
BUILD=${1:-build}
N=${N:-1000}
ROUNDS=${ROUNDS:-3}
D="$BUILD/demos/patterns"
export IPCSCOPE_MSG_RATE=200
[ -x "$D" ] || { echo "patterns.sh: $D is not built (make)" >&2; exit 1; }
command -v jq >/dev/null || { echo "patterns.sh: needs jq" >&2; exit 1; }
echo "patterns bench: the lesson, then $N round trips; $ROUNDS rounds;" \
     "$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-5s %10s %10s %10s %9s %9s %9s %8s %8s %8s %8s %9s %9s %9s %9s %9s\n' round \
    single/s batch/s batcher/s 1st.one 1st.batch wait.max json.B mpack.B buf.B \
    json.enc mpack.enc json.dec mpack.dec hrtime p50
OUT=$(mktemp -d "${TMPDIR:-/tmp}/patterns-bench.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
i=1
while [ $i -le "$ROUNDS" ]; do
    "$D" --json --count "$N" --node-trips "$N" --watchdog-ms 200 --grace-ms 200 2>/dev/null |
      jq -c 'select(.ev == "bye")' >"$OUT/$i.json"
    jq -r --arg r "$i" '
      .summary as $s | $s.batching as $b | $s.serialization as $z |
      [$r, $b.singles_items_per_s, $b.batch_items_per_s, $b.batcher_items_per_s,
       $b.singles_first_item_ns, $b.batch_first_item_ns, $b.wait_max_ns,
       $z.json_bytes, $z.msgpack_bytes, $z.buffer_wire_bytes,
       $z.json_encode_ns, $z.msgpack_encode_ns, $z.json_decode_ns, $z.msgpack_decode_ns,
       $s.monitor.single_ns, $s.monitor.p50_ns] | @tsv' "$OUT/$i.json" |
      awk -F'\t' '{printf "%-5s %10d %10d %10d %6.2f ms %6.2f ms %6.2f ms %8d %8d %8d %6.0f us %6.0f us %6.0f us %6.0f us %6.1f us %6.1f us\n",
                   $1, $2, $3, $4, $5/1e6, $6/1e6, $7/1e6, $8, $9, $10, $11/1e3, $12/1e3, $13/1e3, $14/1e3, $15/1e3, $16/1e3}'
    i=$((i + 1))
done

# Step 9: node to node, N small pings and N/10 large objects on each channel.
echo
if [ "$(jq -r '.summary.advanced.version // empty' "$OUT/1.json")" = "" ]; then
    echo "node to node: skipped ($(jq -r '.summary.node.skipped // "no figures"' "$OUT/1.json"))"
    exit 0
fi
echo "node to node ($(jq -r .summary.advanced.version "$OUT/1.json")): round trips a second, and bytes a message"
printf '%-5s %12s %12s %12s %12s %10s %10s %8s %8s\n' round json.small/s adv.small/s \
    json.large/s adv.large/s json.lg.B adv.lg.B json.B adv.B
i=1
while [ $i -le "$ROUNDS" ]; do
    jq -r --arg r "$i" '.summary.advanced as $a |
      [$r, $a.json.small.trips_per_s, $a.advanced.small.trips_per_s, $a.json.large.trips_per_s,
       $a.advanced.large.trips_per_s, $a.json.large.bytes, $a.advanced.large.bytes,
       $a.json.small.bytes, $a.advanced.small.bytes] | @tsv' "$OUT/$i.json" |
      awk -F'\t' '{printf "%-5s %12d %12d %12.1f %12.1f %10d %10d %8d %8d\n", $1, $2, $3, $4, $5, $6, $7, $8, $9}'
    i=$((i + 1))
done
