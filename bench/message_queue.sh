#!/bin/sh
# message-queue: a pub/sub round trip through one private redis-server
# (PUBLISH ping, an echo PUBLISHes it back, the first reads the pong: the
# server crossed twice), for
#   - the demo's own client (its steady step: hiredis on libuv, tracing on;
#     its bye's p50 and p99 with --count N --redis unix:SOCK),
#   - the floor: blocking hiredis in C (bench/bench_redis_rtt.c), no loop,
#   - node with the `redis` package (bench/node_redis_rtt.js), installed with
#     npm into a private directory; left out, with the reason, when npm cannot,
# and redis-benchmark's PUBLISH on the same server (one hop each way, no
# subscriber: the server's own cost), then the queues without a broker:
# POSIX mq and ZeroMQ PUSH/PULL round trips, blocking, a forked echo.
# Interleaved over ROUNDS rounds; each figure is the median of the rounds.
# The demo runs its whole lesson each round (a minute at most) before its
# N timed round trips. A benchmark, never a test.
#
#   sh bench/message_queue.sh [BUILD_DIR]     N=5000 ROUNDS=3
set -u
BUILD=${1:-build}
N=${N:-5000}
ROUNDS=${ROUNDS:-3}
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/bench/lib.sh"
B="$BUILD/bench/bench_redis_rtt"
OUT=$(mktemp -d "${TMPDIR:-/tmp}/ipcscope-mq-bench.XXXXXX")
chmod 700 "$OUT"
SERVER=""
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$OUT"' EXIT
export IPCSCOPE_MSG_RATE=200

command -v redis-server >/dev/null || { echo "message-queue: redis-server is not installed (sh mk/deps.sh)"; exit 0; }
[ -x "$B" ] || { echo "message-queue: $B is not built (make)"; exit 0; }

SOCK="$OUT/redis.sock"
redis-server --port 0 --unixsocket "$SOCK" --unixsocketperm 700 --dir "$OUT" --save '' \
    --appendonly no >/dev/null 2>&1 &
SERVER=$!
i=0; while [ ! -S "$SOCK" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done

node_why=""
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    node_why="node or npm is not installed"
elif ! timeout 180 npm install --silent --no-audit --no-fund --prefix "$OUT/npm" redis@4 >"$OUT/npm.log" 2>&1; then
    node_why="npm install redis failed (no registry?): $(tail -n 1 "$OUT/npm.log")"
fi

echo "message-queue: pub/sub round trip through a private redis-server ($(redis-server --version | cut -d' ' -f3)), $N round trips, $ROUNDS rounds"
echo "machine: $(nproc) cores, $(uname -r), node $(node --version 2>/dev/null || echo absent), load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$ROUNDS"); do
    timeout 300 "$BUILD/demos/message-queue" --json --count "$N" --redis "unix:$SOCK" 2>/dev/null |
        jq -c 'select(.ev == "bye") | {p50: .summary.p50, p99: .summary.p99}' >>"$OUT/demo"
    "$B" redis "$SOCK" "$N" >>"$OUT/floor"
    [ -z "$node_why" ] && NODE_PATH="$OUT/npm/node_modules" timeout 300 node "$TOP/bench/node_redis_rtt.js" "$SOCK" "$N" >>"$OUT/node"
    redis-benchmark -s "$SOCK" -c 1 -n "$N" --csv PUBLISH bench:nobody hello 2>/dev/null |
        awk -F'"' 'NR == 2 {printf "{\"p50\":%.0f,\"p99\":%.0f}\n", $10 * 1e6, $14 * 1e6}' >>"$OUT/rb"
    "$B" mq "$N" >>"$OUT/mq"
    "$B" zmq "$N" >>"$OUT/zmq"
    printf '.'
done
echo

us() { awk -v n="$1" 'BEGIN {printf "%8.1f", n/1000}'; }
floor50=$(median "$OUT/floor" p50)
demo50=$(median "$OUT/demo" p50)
printf '%-52s %8s %8s %9s\n' "round trip, 64 B" "p50 us" "p99 us" "vs floor"
row() { # NAME FILE
    [ -s "$2" ] || return 0
    p50=$(median "$2" p50)
    printf '%-52s %s %s %9s\n' "$1" "$(us "$p50")" "$(us "$(median "$2" p99)")" "$(ratio "$p50" "$floor50")"
}
row "redis pub/sub: blocking hiredis (the floor)" "$OUT/floor"
row "redis pub/sub: the demo (hiredis on libuv, traced)" "$OUT/demo"
row "redis pub/sub: node, the redis package" "$OUT/node"
row "redis-benchmark PUBLISH, -c 1 (one hop each way)" "$OUT/rb"
row "POSIX mq, two queues (no broker)" "$OUT/mq"
row "ZeroMQ PUSH/PULL each way, tcp 127.0.0.1" "$OUT/zmq"
[ -n "$node_why" ] && echo "node left out: $node_why"
printf 'demo / floor: %s (target at most 1.15x)   node / demo: %s (target at least 1.30x)\n' \
    "$(ratio "$demo50" "$floor50" | tr -d ' ')" "$(ratio "$(median "$OUT/node" p50)" "$demo50" | tr -d ' ')"
echo "Each figure is the median over $ROUNDS rounds of that round's p50 or p99."
