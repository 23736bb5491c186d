#!/bin/sh
# message-queue: a pub/sub round trip through one private redis-server
# (PUBLISH ping, an echo PUBLISHes it back, the first reads the pong: the
# server crossed twice), for
#   - the demo's own client (its steady step: hiredis on libuv, tracing on;
#     its bye's p50 and p99 with --count N --redis unix:SOCK),
#   - the floor: blocking hiredis in C (bench/bench_redis_rtt.c), no loop,
#   - node with the `redis` package (bench/node_redis_rtt.js), installed with
#     npm into a private directory; left out, with the reason, when npm cannot,
#   - the libuv baseline: hiredis's async API on a bare libuv loop at both
#     ends (bench/bench_redis_uv.c), with hiredis's adapter and with the
#     demo's attach.c way (--attach lean), no tracing, no pacer,
#   - the demo with its msg events quiet (IPCSCOPE_MSG_RATE=1e-9: traced and
#     counted, never written) and on (sampled at 200 a second, as under the
#     dashboard), each with the adapter and with --attach lean,
# and redis-benchmark's PUBLISH on the same server (one hop each way, no
# subscriber: the server's own cost), then the queues without a broker:
# POSIX mq and ZeroMQ PUSH/PULL round trips, blocking, a forked echo.
# Then pipelined messages per second: the async client with DEPTH=16
# PUBLISHes in flight (through the echo, and to nobody) beside
# redis-benchmark -P 16 -c 1 PUBLISH.
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
U="$BUILD/bench/bench_redis_uv"
DEPTH=${DEPTH:-16}
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
demo() { # RATE ATTACH FILE: the demo's steady step, its bye's p50 and p99
    IPCSCOPE_MSG_RATE=$1 timeout 300 "$BUILD/demos/message-queue" --json --count "$N" \
        --attach "$2" --redis "unix:$SOCK" 2>/dev/null |
        jq -c 'select(.ev == "bye") | {p50: .summary.p50, p99: .summary.p99}' >>"$3"
}
for r in $(seq "$ROUNDS"); do
    demo 200 adapter "$OUT/demo"
    demo 0.000000001 adapter "$OUT/demo_quiet"
    demo 200 lean "$OUT/demo_lean"
    demo 0.000000001 lean "$OUT/demo_lean_quiet"
    "$B" redis "$SOCK" "$N" >>"$OUT/floor"
    [ -x "$U" ] && "$U" rtt "$SOCK" "$N" >>"$OUT/uv" && "$U" rtt "$SOCK" "$N" lean >>"$OUT/uv_lean"
    if [ -x "$U" ]; then
        for a in adapter lean; do
            "$U" window "$SOCK" $((N * 4)) "$DEPTH" "$a" >>"$OUT/window_$a"
            "$U" publish "$SOCK" $((N * 8)) "$DEPTH" "$a" >>"$OUT/publish_$a"
        done
    fi
    redis-benchmark -s "$SOCK" -c 1 -P "$DEPTH" -n $((N * 8)) --csv PUBLISH bench:nobody \
        0123456789012345678901234567890123456789012345678901234567890123 2>/dev/null |
        awk -F'"' 'NR == 2 {printf "{\"per_s\":%.0f}\n", $4}' >>"$OUT/rb_pipe"
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
row "  libuv + hiredis async, the adapter (no lib/)" "$OUT/uv"
row "  libuv + hiredis async, attach.c's way (no lib/)" "$OUT/uv_lean"
row "  the demo, adapter, msg events quiet" "$OUT/demo_quiet"
row "  the demo, adapter, msg events on (200/s)" "$OUT/demo"
row "  the demo, --attach lean, msg events quiet" "$OUT/demo_lean_quiet"
row "  the demo, --attach lean, msg events on (200/s)" "$OUT/demo_lean"
row "redis pub/sub: node, the redis package" "$OUT/node"
row "redis-benchmark PUBLISH, -c 1 (one hop each way)" "$OUT/rb"
row "POSIX mq, two queues (no broker)" "$OUT/mq"
row "ZeroMQ PUSH/PULL each way, tcp 127.0.0.1" "$OUT/zmq"
[ -n "$node_why" ] && echo "node left out: $node_why"
lean50=$(median "$OUT/demo_lean" p50)
printf 'demo / floor: %s (target at most 1.15x)   node / demo: %s (target at least 1.30x)\n' \
    "$(ratio "$demo50" "$floor50" | tr -d ' ')" "$(ratio "$(median "$OUT/node" p50)" "$demo50" | tr -d ' ')"
printf 'demo --attach lean / floor: %s   node / demo --attach lean: %s\n' \
    "$(ratio "$lean50" "$floor50" | tr -d ' ')" "$(ratio "$(median "$OUT/node" p50)" "$lean50" | tr -d ' ')"
echo
printf '%-52s %10s\n' "pipelined, 64 B, $DEPTH in flight" "msgs/s"
prow() { [ -s "$2" ] && printf '%-52s %10.0f\n' "$1" "$(median "$2" per_s)"; return 0; }
prow "pub/sub round trips, async client, the adapter" "$OUT/window_adapter"
prow "pub/sub round trips, async client, attach.c's way" "$OUT/window_lean"
prow "PUBLISH to nobody, async client, the adapter" "$OUT/publish_adapter"
prow "PUBLISH to nobody, async client, attach.c's way" "$OUT/publish_lean"
prow "redis-benchmark -c 1 -P $DEPTH PUBLISH (to nobody)" "$OUT/rb_pipe"
echo "Each figure is the median over $ROUNDS rounds of that round's p50 or p99."
