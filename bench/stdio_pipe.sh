#!/bin/sh
# The stdio-pipe demo against its floors and against node, every contender in
# one run, interleaved over ROUNDS rounds so that a busy moment of the machine
# hits all of them alike. A benchmark, never a test.
#
#   1. round trip of one line (a 64-byte payload, "ping ID TIME xxx...\n")
#      through a child's stdin and back on its stdout: raw pipes with blocking
#      read() (the floor), the same with the parent in epoll_wait() first (the
#      floor of any event loop), the demo's ping-pong (libuv parent, C echo
#      child, tracing on), node spawning a node echo child;
#   2. one way, BYTES through one pipe in 64 KiB writes: raw write()/read(),
#      the demo's stream part, node's child.stdin.write() with 'drain';
#   3. starting a child that runs uname -s and collecting its output: plain
#      fork + execve and via /bin/sh -c in C, the demo's spawn, execFile and
#      exec, node's spawn, execFile and exec, and node's fork of a node child
#      that leaves at once. Median of STARTS starts.
#
# Placement: the demo forks its own children, so only what the children
# inherit can be imposed from outside. Every contender therefore runs twice,
# the same way: "one CPU" (taskset -c 0, parent and child on CPU 0) and "two
# CPUs" (taskset -c 0,1, both CPUs, the scheduler places them).
#
#   sh bench/stdio_pipe.sh [BUILD_DIR]   N=20000 ROUNDS=5 BYTES=134217728 STARTS=50
set -u
BUILD=${1:-build}
N=${N:-20000}
ROUNDS=${ROUNDS:-5}
BYTES=${BYTES:-134217728}
STARTS=${STARTS:-50}
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/bench/lib.sh"
B="$BUILD/bench/bench_pipe"
D="$BUILD/demos/stdio-pipe"
JS="$TOP/bench/node_spawn.js"
OUT=$(mktemp -d "${TMPDIR:-/tmp}/ipcscope-bench-pipe.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
export IPCSCOPE_MSG_RATE=200

for f in "$B" "$D"; do
    [ -x "$f" ] || { echo "stdio_pipe.sh: $f is not built (make)" >&2; exit 1; }
done
have_node=0; command -v node >/dev/null && have_node=1
cpus=$(nproc)
echo "stdio-pipe bench: $N round trips, $BYTES bytes one way, $STARTS starts per kind; $ROUNDS rounds"
echo "machine: $cpus cores, $(uname -r), node $(node --version 2>/dev/null || echo absent)"
placements="one"
[ "$cpus" -ge 2 ] && placements="one two"

# bye FIELD...: pulls figures out of the demo's bye summary
demo_bye() { grep '"ev":"bye"'; }

for r in $(seq "$ROUNDS"); do
    for p in $placements; do
        cpu=0; [ "$p" = two ] && cpu=0,1
        T="taskset -c $cpu"
        $T "$B" pingpong "$N" 64 >>"$OUT/$p.rt.raw"
        $T "$B" epoll "$N" 64 >>"$OUT/$p.rt.ep"
        $T "$B" uv "$N" 64 >>"$OUT/$p.rt.uv"
        $T "$D" --json --part pingpong --count "$N" --size 64 2>/dev/null | demo_bye |
            sed 's/.*"pingpong":{[^}]*"p50":\([0-9]*\),"p99":\([0-9]*\).*/{"p50":\1,"p99":\2}/' >>"$OUT/$p.rt.demo"
        [ $have_node -eq 1 ] && $T node "$JS" pingpong "$N" 64 >>"$OUT/$p.rt.node"

        $T "$B" throughput "$BYTES" >>"$OUT/$p.tp.raw"
        $T "$D" --json --part stream --stream-bytes "$BYTES" 2>/dev/null | demo_bye |
            sed 's/.*"stream":{\([^}]*\)}.*/{\1}/' >>"$OUT/$p.tp.demo"
        [ $have_node -eq 1 ] && $T node "$JS" throughput "$BYTES" >>"$OUT/$p.tp.node"

        $T "$B" start "$STARTS" direct >>"$OUT/$p.st.direct"
        $T "$B" start "$STARTS" shell >>"$OUT/$p.st.shell"
        $T "$D" --json --part execfile --starts "$STARTS" 2>/dev/null | demo_bye |
            sed 's/.*"start_ns":{\([^}]*\)}.*/{\1}/' >"$OUT/st.demo.tmp"
        sed 's/.*"spawn":\([0-9]*\).*/{"p50":\1}/' "$OUT/st.demo.tmp" >>"$OUT/$p.st.dspawn"
        sed 's/.*"execFile":\([0-9]*\).*/{"p50":\1}/' "$OUT/st.demo.tmp" >>"$OUT/$p.st.dfile"
        sed 's/.*"exec":\([0-9]*\).*/{"p50":\1}/' "$OUT/st.demo.tmp" >>"$OUT/$p.st.dexec"
        if [ $have_node -eq 1 ]; then
            for k in spawn execFile exec fork; do
                $T node "$JS" start "$STARTS" $k >>"$OUT/$p.st.n$k"
            done
        fi
    done
    printf '.'
done
echo

us() { awk -v n="$1" 'BEGIN {printf "%8.1f", n/1000}'; }
msf() { awk -v n="$1" 'BEGIN {printf "%8.2f", n/1e6}'; }
mbs() { awk -v n="$1" 'BEGIN {printf "%8.0f", n/1e6}'; }

for p in $placements; do
    [ "$p" = one ] && title="one CPU (taskset -c 0: parent and child on CPU 0)" \
        || title="two CPUs (taskset -c 0,1: the scheduler places them)"
    echo
    echo "$title"
    raw=$(median "$OUT/$p.rt.raw" p50)
    node=$(median "$OUT/$p.rt.node" p50)
    printf '%-46s %8s %8s %9s %10s\n' "round trip, 64-byte payload (~87 B line)" "p50 us" "p99 us" "vs floor" "node/this"
    rt() { # NAME FILE
        [ -s "$2" ] || return 0
        a=$(median "$2" p50); b=$(median "$2" p99)
        printf '%-46s %s %s %9s %10s\n' "$1" "$(us "$a")" "$(us "$b")" "$(ratio "$a" "$raw")" "$(ratio "$node" "$a")"
    }
    rt "raw pipes, blocking read (the floor)" "$OUT/$p.rt.raw"
    rt "raw pipes, parent in epoll_wait first" "$OUT/$p.rt.ep"
    rt "raw pipes, parent on a bare libuv loop" "$OUT/$p.rt.uv"
    rt "stdio-pipe demo: libuv parent, C echo child" "$OUT/$p.rt.demo"
    rt "node spawn: node parent, node echo child" "$OUT/$p.rt.node"
    own_cost "$OUT/$p.rt.demo" "$OUT/$p.rt.uv"

    raw=$(median "$OUT/$p.tp.raw" bps)
    node=$(median "$OUT/$p.tp.node" bps)
    printf '\n%-46s %8s %9s %10s\n' "one way, $BYTES bytes in 64 KiB writes" "MB/s" "vs floor" "this/node"
    tp() {
        [ -s "$2" ] || return 0
        a=$(median "$2" bps)
        printf '%-46s %s %9s %10s\n' "$1" "$(mbs "$a")" "$(ratio "$a" "$raw")" "$(ratio "$a" "$node")"
    }
    tp "raw pipe write/read (the floor)" "$OUT/$p.tp.raw"
    tp "stdio-pipe demo, stream part" "$OUT/$p.tp.demo"
    tp "node spawn, stdin.write + 'drain'" "$OUT/$p.tp.node"

    direct=$(median "$OUT/$p.st.direct" p50)
    printf '\n%-46s %8s %9s\n' "start uname -s, collect its output" "p50 ms" "vs direct"
    st() {
        [ -s "$2" ] || return 0
        a=$(median "$2" p50)
        printf '%-46s %s %9s\n' "$1" "$(msf "$a")" "$(ratio "$a" "$direct")"
    }
    st "C: fork + execve (the floor of spawn)" "$OUT/$p.st.direct"
    st "C: fork + execve /bin/sh -c (exec's floor)" "$OUT/$p.st.shell"
    st "stdio-pipe demo: spawn" "$OUT/$p.st.dspawn"
    st "stdio-pipe demo: execFile" "$OUT/$p.st.dfile"
    st "stdio-pipe demo: exec" "$OUT/$p.st.dexec"
    st "node: spawn" "$OUT/$p.st.nspawn"
    st "node: execFile" "$OUT/$p.st.nexecFile"
    st "node: exec" "$OUT/$p.st.nexec"
    st "node: fork (a node child, its channel)" "$OUT/$p.st.nfork"
done
echo
echo "The libuv row is the floor of any program on libuv, the demo included: the same raw"
echo "ping-pong with the parent on a bare libuv loop (uv_read_start, uv_try_write), no framing,"
echo "no tracing. The demo's own cost is what it takes above that row."
echo "vs floor: p50 (or MB/s) / the raw floor's.  node/this: node's p50 / this p50, and this/node:"
echo "this MB/s / node's (above 1 = faster than node).  vs direct: p50 / plain fork + execve."
echo "Each figure is the median over $ROUNDS rounds of that round's p50, p99 or MB/s."
