#!/bin/sh
# make bench: round trips of a 64-byte JSON line, every contender in one run,
# interleaved over ROUNDS rounds so that a busy moment of the machine hits all
# of them alike. A benchmark, never a test.
#
# Placement is fixed, because it matters more than the contenders do: with
# both processes on one CPU a round trip is two context switches; with parent
# and child on two CPUs it is two cross-CPU wake-ups. Left to the scheduler,
# each run lands on a different mix and the ratios wander. So every contender
# is measured twice: "one CPU" (parent and child on CPU 0) and "two CPUs"
# (parent on CPU 0, child on CPU 1), with taskset, the same way for all.
# A second floor, the same ping-pong waiting in epoll_wait() before each read,
# shows what any event loop pays for waiting that way; a third, both ends on a
# bare libuv loop (bench/uv_floor.h), what any program on libuv pays, so that
# what lib/channel and the demo add on top of it shows as their own cost.
#
#   sh bench/run.sh [BUILD_DIR]      N=20000 ROUNDS=5 by default
#
# Then each demo's own benchmark (bench/stdio_pipe.sh, unix_socket.sh, tcp.sh,
# udp.sh, shared_memory.sh, worker_pool.sh, fs_watch.sh, message_queue.sh: the demo next to a raw
# C floor of its mechanism and node; cluster.sh and http.sh: requests/s against
# node's own, by wrk), and the
# dashboard's cost (bench/dashboard.sh).
set -u
BUILD=${1:-build}
N=${N:-20000}
ROUNDS=${ROUNDS:-5}
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/bench/lib.sh"
B="$BUILD/bench/bench_channel"
JS="$TOP/bench/node_fork_pingpong.js"
OUT=$(mktemp -d "${TMPDIR:-/tmp}/ipcscope-bench.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
export IPCSCOPE_MSG_RATE=200

have_node=0; command -v node >/dev/null && have_node=1
cpus=$(nproc)
echo "ipcscope bench: $N round trips of a 64-byte JSON line per contender, $ROUNDS rounds"
echo "machine: $cpus cores, $(uname -r), node $(node --version 2>/dev/null || echo absent)"
placements="same"
[ "$cpus" -ge 2 ] && placements="same split"

for r in $(seq "$ROUNDS"); do
    for p in $placements; do
        c=0; [ "$p" = split ] && c=1
        BENCH_CHILD_CPU=$c taskset -c 0 "$B" raw "$N" >>"$OUT/$p.raw"
        BENCH_CHILD_CPU=$c taskset -c 0 "$B" epoll "$N" >>"$OUT/$p.ep"
        BENCH_CHILD_CPU=$c taskset -c 0 "$B" uv "$N" >>"$OUT/$p.uv"
        taskset -c 0 "$B" channel "$N" "C parent, C child" taskset -c $c "$B" echo >>"$OUT/$p.cc"
        if [ $have_node -eq 1 ]; then
            taskset -c 0 "$B" channel "$N" "C parent, node child" taskset -c $c node "$JS" child >>"$OUT/$p.cn"
            BENCH_CHILD_CPU=$c taskset -c 0 node "$JS" "$N" >>"$OUT/$p.nn"
        fi
    done
    # The fork-ipc demo itself, tracing on. Its child is forked by the demo,
    # so only the one-CPU placement can be imposed from outside. --size 28
    # makes its ping {"type":"ping","id":12345,"pad":"x..."} 64 bytes too.
    taskset -c 0 "$BUILD/demos/fork-ipc" --json --count "$N" --size 28 2>/dev/null |
        grep '"ev":"bye"' | sed 's/.*"p50":\([0-9]*\),"p99":\([0-9]*\).*/{"p50":\1,"p99":\2}/' >>"$OUT/same.demo"
    printf '.'
done
echo

us() { awk -v n="$1" 'BEGIN {printf "%7.1f", n/1000}'; }

for p in $placements; do
    [ "$p" = same ] && title="one CPU (parent and child on CPU 0)" || title="two CPUs (parent on CPU 0, child on CPU 1)"
    raw50=$(median "$OUT/$p.raw" p50)
    ep50=$(median "$OUT/$p.ep" p50)
    nn50=$( [ -s "$OUT/$p.nn" ] && median "$OUT/$p.nn" p50 || echo 0)
    printf '\n%s\n%-42s %8s %8s %9s %9s %10s\n' "$title" "round trip, 64 B" "p50 us" "p99 us" \
        "vs floor" "vs epoll" "node/this"
    row() { # NAME FILE
        [ -s "$2" ] || return 0
        p50=$(median "$2" p50); p99=$(median "$2" p99)
        printf '%-42s %s %s %9s %9s %10s\n' "$1" "$(us "$p50")" "$(us "$p99")" \
            "$(ratio "$p50" "$raw50")" "$(ratio "$p50" "$ep50")" "$(ratio "$nn50" "$p50")"
    }
    row "raw socketpair write/read (the floor)" "$OUT/$p.raw"
    row "socketpair, waiting in epoll_wait first" "$OUT/$p.ep"
    row "socketpair, both ends on a bare libuv loop" "$OUT/$p.uv"
    row "lib/channel: C parent, C child" "$OUT/$p.cc"
    row "lib/channel: C parent, node child" "$OUT/$p.cn"
    row "node fork IPC: node parent, node child" "$OUT/$p.nn"
    row "fork-ipc demo, C child, events on" "$OUT/$p.demo"
    own_cost "$OUT/$p.cc" "$OUT/$p.uv" "lib/channel's (C parent, C child)"
    own_cost "$OUT/$p.demo" "$OUT/$p.uv" "the fork-ipc demo's"
done
echo
echo "vs floor: p50 / raw socketpair p50.  vs epoll: p50 / the epoll socketpair's p50, the floor of"
echo "any event loop (libuv and node wait in epoll_wait).  node/this: node-to-node p50 / this p50"
echo "(above 1 = faster than node).  The libuv row is the floor of any program on libuv: the same"
echo "ping-pong, both ends on a bare libuv loop (uv_read_start, uv_try_write), no JSON."
echo "Each figure is the median over $ROUNDS rounds of that round's p50 or p99."

# Each demo's mechanism against its own floors and node (bench/NAME.sh).
for mech in stdio_pipe unix_socket tcp udp shared_memory worker_pool fs_watch cluster http message_queue; do
    [ -f "$TOP/bench/$mech.sh" ] || continue
    echo
    sh "$TOP/bench/$mech.sh" "$BUILD"
done

# Every mechanism on one page, C and node, with the articles' claims decided
# by its figures: the same measurement as `ipcscope compare`, in full.
echo
sh "$TOP/bench/compare.sh" --full --table "$BUILD"

# The dashboard's own cost (issue: under 5% of a core, under 30 MB, the demo
# slowed by at most 10%).
[ -x "$BUILD/bin/ipcscope" ] && sh "$TOP/bench/dashboard.sh" "$BUILD"
