#!/bin/sh
# bench/udp.sh: the udp demo measured next to its floors. A benchmark, never
# a test: nothing here is asserted.
#
#   round trip: one client, N datagrams of 64 bytes, each answered before the
#               next goes (the articles' echo), p50 and p99;
#   throughput: one sender streams BYTES as fast as sendmsg() goes, in
#               datagrams of 1,400 bytes (what fits an Ethernet frame) and of
#               8,192; the figure is what the receiver got per second, and the
#               share that was lost is shown beside it, because UDP has no
#               flow control: a sender faster than its receiver loses data
#               instead of slowing down.
#
# Contenders, interleaved over ROUNDS rounds so that a busy moment of the
# machine hits all of them alike, every process pinned to CPU 0 (taskset; the
# demo's children inherit it):
#
#   raw floor  build/bench/bench_sock udp pingpong N | stream BYTES
#   node       node bench/node_sock.js udp pingpong N | stream BYTES
#   the demo   build/demos/udp --json --clients 1 --count N --rate 0 --size 64
#              build/demos/udp --json --throughput BYTES --size 1400|8192
#
# A contender whose program is not built (or node not installed) is left out
# with a note. Each figure is the median over the rounds.
#
#   sh bench/udp.sh [BUILD_DIR]      N=20000 ROUNDS=5 BYTES=100000000 by default
set -u
BUILD=${1:-build}
N=${N:-20000}
ROUNDS=${ROUNDS:-5}
BYTES=${BYTES:-100000000}
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/bench/lib.sh"
RAW="$BUILD/bench/bench_sock"
JS="$TOP/bench/node_sock.js"
DEMO="$BUILD/demos/udp"
OUT=$(mktemp -d "${TMPDIR:-/tmp}/ipcscope-bench-udp.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
export IPCSCOPE_MSG_RATE=200 # the dashboard's default: tracing on, sampled

if [ ! -x "$DEMO" ]; then
    echo "bench/udp.sh: $DEMO is not built (make)" >&2
    exit 1
fi
have_raw=0; [ -x "$RAW" ] && have_raw=1
have_node=0; command -v node >/dev/null && [ -f "$JS" ] && have_node=1

echo "ipcscope bench, udp: $N round trips of 64 B; $BYTES bytes streamed; $ROUNDS rounds; all on CPU 0"
echo "machine: $(nproc) cores, $(uname -r), node $(node --version 2>/dev/null || echo absent)"

# bye FILE: the demo's bye summary reduced to one JSON line of its figures
demo_bye() { grep '"ev":"bye"' | sed 's/.*"summary"://'; }

for r in $(seq "$ROUNDS"); do
    if [ $have_raw -eq 1 ]; then
        taskset -c 0 "$RAW" udp pingpong "$N" >>"$OUT/rt.raw" 2>/dev/null
        BENCH_EPOLL=1 taskset -c 0 "$RAW" udp pingpong "$N" >>"$OUT/rt.epoll" 2>/dev/null
        BENCH_UV=1 taskset -c 0 "$RAW" udp pingpong "$N" >>"$OUT/rt.uv" 2>/dev/null
        taskset -c 0 "$RAW" udp stream "$BYTES" >>"$OUT/st.raw" 2>/dev/null
    fi
    if [ $have_node -eq 1 ]; then
        taskset -c 0 node "$JS" udp pingpong "$N" >>"$OUT/rt.node" 2>/dev/null
        taskset -c 0 node "$JS" udp stream "$BYTES" >>"$OUT/st.node" 2>/dev/null
    fi
    taskset -c 0 "$DEMO" --json --clients 1 --count "$N" --rate 0 --size 64 2>/dev/null |
        demo_bye >>"$OUT/rt.demo"
    for d in 1400 8192; do
        taskset -c 0 "$DEMO" --json --throughput "$BYTES" --size $d 2>/dev/null |
            demo_bye >>"$OUT/st.demo$d"
    done
    printf '.'
done
echo

us() { awk -v n="$1" 'BEGIN {if (n > 0) printf "%8.1f", n/1000; else printf "%8s", "-"}'; }
mb() { awk -v n="$1" 'BEGIN {if (n > 0) printf "%8.1f", n; else printf "%8s", "-"}'; }
pct() { awk -v n="$1" 'BEGIN {printf "%5.1f%%", n*100}'; }

raw50=$(median "$OUT/rt.raw" p50)
node50=$(median "$OUT/rt.node" p50)
printf '\n%-44s %8s %8s %10s %10s\n' "round trip, 64 B" "p50 us" "p99 us" "vs floor" "node/this"
rt_row() { # NAME FILE
    [ -s "$2" ] || { printf '%-44s %s\n' "$1" "(not measured: $3)"; return 0; }
    p50=$(median "$2" p50); p99=$(median "$2" p99)
    printf '%-44s %s %s %10s %10s\n' "$1" "$(us "$p50")" "$(us "$p99")" \
        "$(ratio "$p50" "$raw50")" "$(ratio "$node50" "$p50")"
}
rt_row "raw send/recv ping-pong (the floor)" "$OUT/rt.raw" "build/bench/bench_sock is not built"
rt_row "raw, waiting in epoll_wait first" "$OUT/rt.epoll" "build/bench/bench_sock is not built"
rt_row "raw, both ends on a bare libuv loop" "$OUT/rt.uv" "build/bench/bench_sock is not built"
rt_row "node dgram ping-pong" "$OUT/rt.node" "node or bench/node_sock.js missing"
rt_row "udp demo, events on" "$OUT/rt.demo" "no bye from the demo"
own_cost "$OUT/rt.demo" "$OUT/rt.uv"

rawmb=$(median "$OUT/st.raw" mb_s)
nodemb=$(median "$OUT/st.node" mb_s)
printf '\n%-44s %8s %8s %10s %10s\n' "one way, $BYTES B" "MB/s" "lost" "vs floor" "this/node"
st_row() { # NAME FILE WHY-MISSING [nocompare]
    [ -s "$2" ] || { printf '%-44s %s\n' "$1" "(not measured: $3)"; return 0; }
    m=$(median "$2" mb_s)
    # the demo says "loss"; the floors say "sent" and "lost" (datagrams)
    if grep -q '"loss"' "$2"; then
        lost=$(pct "$(median "$2" loss)")
    elif grep -q '"lost"' "$2"; then
        lost=$(sed -n 's/.*"sent":\([0-9]*\).*"lost":\([0-9]*\).*/\2 \1/p' "$2" |
            awk '$2 > 0 {print $1 / $2}' | sort -g | awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]; else print 0}')
        lost=$(pct "$lost")
    else
        lost=$(printf '%6s' "?")
    fi
    if [ "${4:-}" = nocompare ]; then
        printf '%-44s %s %8s %10s %10s\n' "$1" "$(mb "$m")" "$lost" "    -" "    -"
    else
        printf '%-44s %s %8s %10s %10s\n' "$1" "$(mb "$m")" "$lost" "$(ratio "$m" "$rawmb")" \
            "$(ratio "$m" "$nodemb")"
    fi
}
st_row "raw send/recv stream, 8 KiB (the floor)" "$OUT/st.raw" "build/bench/bench_sock is not built"
st_row "node dgram stream, 8 KiB" "$OUT/st.node" "node or bench/node_sock.js missing"
st_row "udp demo, 8,192-byte datagrams" "$OUT/st.demo8192" "no bye from the demo"
st_row "udp demo, 1,400 B (not compared)" "$OUT/st.demo1400" "no bye from the demo" nocompare
echo
echo "The libuv row is the floor of any program on libuv, the demo included: the same raw"
echo "ping-pong on a bare libuv loop (uv_udp_recv_start, uv_udp_try_send), no parsing, no tracing."
echo "vs floor: round trip p50 / the floor's (lower is better), MB/s / the floor's (higher is"
echo "better). node/this: node's p50 / this p50 (above 1 = faster than node); this/node: this"
echo "MB/s / node's. MB = 1e6 bytes, counted at the receiver; lost = datagrams sent but never"
echo "received (the receiver's buffer overflowed: UDP drops rather than waits)."
