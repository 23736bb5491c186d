#!/bin/sh
# The unix-socket demo against its raw floor and against node, every
# contender in one run, interleaved over ROUNDS rounds so that a busy moment
# of the machine hits all of them alike. A benchmark, never a test.
#
#   1. round trip of a 64-byte message over a Unix stream socket on a path
#      (server accept()ed, client connect()ed): bench_sock's plain blocking
#      write()/read() (the floor), the demo with one client (libuv on both
#      sides, line framing, "pong: " answers, tracing on), node's net server
#      and client doing the same;
#   2. one way, BYTES through one such socket: bench_sock in 64 KiB writes,
#      the demo's --throughput (lines of 16 KiB, two 256 KiB writes in
#      flight, the server cutting lines), node's socket.write() with 'drain'.
#
# Placement: the demo forks its own clients, so only what they inherit can be
# imposed from outside. Every contender therefore runs twice, the same way:
# "one CPU" (taskset -c 0: server and client on CPU 0) and "two CPUs"
# (taskset -c 0,1: the scheduler places them).
#
#   sh bench/unix_socket.sh [BUILD_DIR]     N=20000 ROUNDS=5 BYTES=1000000000
#   BENCH_SOCK=path overrides build/bench/bench_sock.
set -u
BUILD=${1:-build}
N=${N:-20000}
ROUNDS=${ROUNDS:-5}
BYTES=${BYTES:-1000000000}
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/bench/lib.sh"
B=${BENCH_SOCK:-$BUILD/bench/bench_sock}
D="$BUILD/demos/unix-socket"
JS="$TOP/bench/node_sock.js"
OUT=$(mktemp -d "${TMPDIR:-/tmp}/ipcscope-bench-unix.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
export IPCSCOPE_MSG_RATE=200

[ -x "$D" ] || { echo "unix_socket.sh: $D is not built (make)" >&2; exit 1; }
have_raw=0; [ -x "$B" ] && have_raw=1
have_node=0; command -v node >/dev/null && [ -f "$JS" ] && have_node=1
cpus=$(nproc)
echo "unix-socket bench: $N round trips of 64 B, $BYTES bytes one way; $ROUNDS rounds"
echo "machine: $cpus cores, $(uname -r), node $(node --version 2>/dev/null || echo absent)"
[ $have_raw -eq 1 ] || echo "note: $B is not built: no raw floor rows (make)"
[ $have_node -eq 1 ] || echo "note: node or $JS is missing: no node rows"
placements="one"
[ "$cpus" -ge 2 ] && placements="one two"

bye() { grep '"ev":"bye"'; }

for r in $(seq "$ROUNDS"); do
    for p in $placements; do
        cpu=0; [ "$p" = two ] && cpu=0,1
        T="taskset -c $cpu"
        [ $have_raw -eq 1 ] && $T "$B" unix pingpong "$N" >>"$OUT/$p.rt.raw"
        [ $have_raw -eq 1 ] && BENCH_EPOLL=1 $T "$B" unix pingpong "$N" >>"$OUT/$p.rt.epoll"
        [ $have_raw -eq 1 ] && BENCH_UV=1 $T "$B" unix pingpong "$N" >>"$OUT/$p.rt.uv"
        $T "$D" --json --clients 1 --count "$N" --rate 0 --size 64 2>/dev/null | bye |
            sed 's/.*"p50":\([0-9]*\),"p99":\([0-9]*\).*/{"p50":\1,"p99":\2}/' >>"$OUT/$p.rt.demo"
        [ $have_node -eq 1 ] && $T node "$JS" unix pingpong "$N" >>"$OUT/$p.rt.node"

        [ $have_raw -eq 1 ] && $T "$B" unix stream "$BYTES" >>"$OUT/$p.tp.raw"
        $T "$D" --json --throughput "$BYTES" 2>/dev/null | bye |
            sed 's/.*"mb_s":\([0-9.]*\).*/{"mb_s":\1}/' >>"$OUT/$p.tp.demo"
        [ $have_node -eq 1 ] && $T node "$JS" unix stream "$BYTES" >>"$OUT/$p.tp.node"
    done
    printf '.'
done
echo

us() { awk -v n="$1" 'BEGIN {printf "%8.1f", n/1000}'; }
mbs() { awk -v n="$1" 'BEGIN {printf "%8.0f", n}'; }

for p in $placements; do
    [ "$p" = one ] && title="one CPU (taskset -c 0: server and client on CPU 0)" \
        || title="two CPUs (taskset -c 0,1: the scheduler places them)"
    echo
    echo "$title"
    raw=$(median "$OUT/$p.rt.raw" p50)
    demo=$(median "$OUT/$p.rt.demo" p50)
    printf '%-44s %8s %8s %9s %10s\n' "round trip, 64 B" "p50 us" "p99 us" "vs floor" "node/demo"
    rt() { # NAME FILE
        [ -s "$2" ] || return 0
        a=$(median "$2" p50); b=$(median "$2" p99)
        printf '%-44s %s %s %9s %10s\n' "$1" "$(us "$a")" "$(us "$b")" "$(ratio "$a" "$raw")" \
            "$(ratio "$a" "$demo")"
    }
    rt "raw unix socket, blocking (the floor)" "$OUT/$p.rt.raw"
    rt "raw, waiting in epoll_wait first" "$OUT/$p.rt.epoll"
    rt "raw, both ends on a bare libuv loop" "$OUT/$p.rt.uv"
    rt "unix-socket demo, 1 client, events on" "$OUT/$p.rt.demo"
    rt "node net server and client" "$OUT/$p.rt.node"
    own_cost "$OUT/$p.rt.demo" "$OUT/$p.rt.uv"

    raw=$(median "$OUT/$p.tp.raw" mb_s)
    demo=$(median "$OUT/$p.tp.demo" mb_s)
    printf '\n%-44s %8s %9s %10s\n' "one way, $BYTES bytes" "MB/s" "floor/it" "demo/it"
    tp() {
        [ -s "$2" ] || return 0
        a=$(median "$2" mb_s)
        printf '%-44s %s %9s %10s\n' "$1" "$(mbs "$a")" "$(ratio "$raw" "$a")" "$(ratio "$demo" "$a")"
    }
    tp "raw unix socket, 64 KiB writes (the floor)" "$OUT/$p.tp.raw"
    tp "unix-socket demo --throughput" "$OUT/$p.tp.demo"
    tp "node socket.write + 'drain'" "$OUT/$p.tp.node"
done
echo
echo "The libuv row is the floor of any program on libuv, the demo included: the same raw"
echo "ping-pong on a bare libuv loop (uv_read_start, uv_try_write), no framing, no tracing."
echo "vs floor: p50 / the raw floor's p50 (target: the demo within 1.2x).  node/demo: a row's p50"
echo "/ the demo's (node's row above 1 = the demo is faster).  floor/it: the floor's MB/s / this"
echo "row's (the demo's within 1.2x).  demo/it: the demo's MB/s / this row's (node's row above 1"
echo "= the demo is faster).  Each figure is the median over $ROUNDS rounds."
