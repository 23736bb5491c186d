#!/bin/sh
# The tcp demo measured next to its raw C floor and node doing the same work,
# interleaved over ROUNDS rounds so that a busy moment of the machine hits all
# of them alike; each figure is the median over rounds. A benchmark, never a
# test. Everything runs on CPU 0 (taskset -c 0, inherited by the demo's
# client), the one placement the demo can be given from outside.
#
#   round trip:   a 64-byte line, N round trips over loopback TCP
#   stream:       BYTES one way, as fast as the socket takes them (MB/s)
#   Nagle:        a request written as two small write()s, then a read of the
#                 answer: Nagle's algorithm on (the default) and TCP_NODELAY
#
#   sh bench/tcp.sh [BUILD_DIR]      N=20000 BYTES=200000000 ROUNDS=5 by default
set -u
BUILD=${1:-build}
N=${N:-20000}
BYTES=${BYTES:-200000000}
ROUNDS=${ROUNDS:-5}
NAGLE_N=${NAGLE_N:-40}
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/bench/lib.sh"
DEMO="$BUILD/demos/tcp"
FLOOR="$BUILD/bench/bench_sock"
NODEJS="$TOP/bench/node_sock.js"
OUT=$(mktemp -d "${TMPDIR:-/tmp}/ipcscope-bench-tcp.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
export IPCSCOPE_MSG_RATE=200   # tracing on, sampled as in the dashboard

if [ ! -x "$DEMO" ]; then
    echo "bench/tcp.sh: $DEMO is not built (make)" >&2
    exit 1
fi
have_floor=0; [ -x "$FLOOR" ] && have_floor=1
have_node=0; command -v node >/dev/null && [ -f "$NODEJS" ] && have_node=1
PIN="taskset -c 0"; command -v taskset >/dev/null || PIN=""

echo "ipcscope bench, tcp: $N round trips of 64 B, a $BYTES-byte stream, $ROUNDS rounds, all on CPU 0"
echo "machine: $(nproc) cores, $(uname -r), node $(node --version 2>/dev/null || echo absent)"

# bye FILE: the demo's bye event, as {"p50":..,"p99":..,"mb_s":..}
bye() { grep '"ev":"bye"' | tail -n 1; }

for r in $(seq "$ROUNDS"); do
    $PIN "$DEMO" --json --clients 1 --count "$N" --rate 0 --size 64 --lab off 2>/dev/null | bye >>"$OUT/rt.demo"
    [ $have_floor -eq 1 ] && $PIN "$FLOOR" tcp pingpong "$N" >>"$OUT/rt.floor" 2>/dev/null
    [ $have_floor -eq 1 ] && BENCH_EPOLL=1 $PIN "$FLOOR" tcp pingpong "$N" >>"$OUT/rt.epoll" 2>/dev/null
    [ $have_floor -eq 1 ] && BENCH_UV=1 $PIN "$FLOOR" tcp pingpong "$N" >>"$OUT/rt.uv" 2>/dev/null
    [ $have_node -eq 1 ] && $PIN node "$NODEJS" tcp pingpong "$N" >>"$OUT/rt.node" 2>/dev/null
    $PIN "$DEMO" --json --throughput "$BYTES" 2>/dev/null | bye >>"$OUT/st.demo"
    [ $have_floor -eq 1 ] && $PIN "$FLOOR" tcp stream "$BYTES" >>"$OUT/st.floor" 2>/dev/null
    [ $have_node -eq 1 ] && $PIN node "$NODEJS" tcp stream "$BYTES" >>"$OUT/st.node" 2>/dev/null
    for nd in off on; do
        $PIN "$DEMO" --json --clients 1 --count "$NAGLE_N" --rate 0 --split-writes --nodelay $nd \
            --lab off 2>/dev/null | bye >>"$OUT/nagle.$nd"
    done
    printf '.'
done
echo

us() { awk -v n="$1" 'BEGIN {if (n > 0) printf "%8.1f", n/1000; else printf "%8s", "-"}'; }
mbs() { awk -v n="$1" 'BEGIN {if (n > 0) printf "%8.0f", n; else printf "%8s", "-"}'; }

f50=$(median "$OUT/rt.floor" p50); d50=$(median "$OUT/rt.demo" p50); n50=$(median "$OUT/rt.node" p50)
printf '\n%-40s %8s %8s %9s %10s\n' "round trip, 64 B over loopback TCP" "p50 us" "p99 us" "vs floor" "node/this"
rt_row() { # NAME FILE NOTE
    if [ ! -s "$2" ]; then printf '%-40s %s\n' "$1" "$3"; return; fi
    p50=$(median "$2" p50); p99=$(median "$2" p99)
    printf '%-40s %s %s %9s %10s\n' "$1" "$(us "$p50")" "$(us "$p99")" "$(ratio "$p50" "$f50")" "$(ratio "$n50" "$p50")"
}
rt_row "raw C write/read (the floor)" "$OUT/rt.floor" "(skipped: $FLOOR is not built)"
rt_row "raw, waiting in epoll_wait first" "$OUT/rt.epoll" "(skipped: $FLOOR is not built)"
rt_row "raw, both ends on a bare libuv loop" "$OUT/rt.uv" "(skipped: $FLOOR is not built)"
rt_row "tcp demo, libuv, events on" "$OUT/rt.demo" "(no figure)"
rt_row "node net, node client and server" "$OUT/rt.node" "(skipped: node or $NODEJS absent)"
own_cost "$OUT/rt.demo" "$OUT/rt.uv"

fm=$(median "$OUT/st.floor" mb_s); dm=$(median "$OUT/st.demo" mb_s); nm=$(median "$OUT/st.node" mb_s)
printf '\n%-40s %8s %9s %10s\n' "one-way stream, $BYTES bytes" "MB/s" "vs floor" "this/node"
st_row() { # NAME FILE NOTE
    if [ ! -s "$2" ]; then printf '%-40s %s\n' "$1" "$3"; return; fi
    m=$(median "$2" mb_s)
    printf '%-40s %s %9s %10s\n' "$1" "$(mbs "$m")" "$(ratio "$fm" "$m")" "$(ratio "$m" "$nm")"
}
st_row "raw C write/read (the floor)" "$OUT/st.floor" "(skipped: $FLOOR is not built)"
st_row "tcp demo --throughput" "$OUT/st.demo" "(no figure)"
st_row "node net" "$OUT/st.node" "(skipped: node or $NODEJS absent)"

off=$(median "$OUT/nagle.off" p50); on=$(median "$OUT/nagle.on" p50)
printf '\n%-40s %8s %8s\n' "write-write-read, $NAGLE_N requests" "p50 us" "p99 us"
printf '%-40s %s %s\n' "Nagle on (--nodelay off, the default)" "$(us "$off")" "$(us "$(median "$OUT/nagle.off" p99)")"
printf '%-40s %s %s\n' "TCP_NODELAY (--nodelay on)" "$(us "$on")" "$(us "$(median "$OUT/nagle.on" p99)")"
awk -v a="$off" -v b="$on" 'BEGIN {if (a > 0 && b > 0) printf "Nagle and the delayed ACK make each such request %.0fx slower.\n", a/b}'
echo
echo "vs floor: the time this takes against the floor's: p50 / the floor's p50 for round trips,"
echo "the floor's MB/s / this MB/s for the stream (1.00x = as fast as the floor, above = slower)."
echo "The epoll row is the floor of any event loop (libuv and node wait in epoll_wait before"
echo "each read): the same raw ping-pong, no libuv, no tracing, no parsing."
echo "The libuv row is the floor of any program on libuv, the demo included: the same raw"
echo "ping-pong on a bare libuv loop (uv_read_start, uv_try_write), no framing, no tracing."
echo "node/this and this/node: above 1 = faster than node.  Medians over $ROUNDS rounds."
echo "Commands: $DEMO --json --clients 1 --count $N --rate 0 --size 64 --lab off;"
echo "  $DEMO --json --throughput $BYTES;"
echo "  $DEMO --json --clients 1 --count $NAGLE_N --rate 0 --split-writes --nodelay off|on --lab off"
