#!/bin/sh
# make bench: round trips of a 64-byte JSON line, every contender in one run,
# interleaved over ROUNDS rounds so that a busy moment of the machine hits all
# of them alike. Prints the median of each round's p50 and p99, and ratios
# against the floors measured in the same run. A benchmark, never a test.
#
#   sh bench/run.sh [BUILD_DIR]      N=20000 ROUNDS=5 by default
set -u
BUILD=${1:-build}
N=${N:-20000}
ROUNDS=${ROUNDS:-5}
TOP=$(cd "$(dirname "$0")/.." && pwd)
B="$BUILD/bench/bench_channel"
OUT=$(mktemp -d "${TMPDIR:-/tmp}/ipcscope-bench.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
export IPCSCOPE_MSG_RATE=200

have_node=0; command -v node >/dev/null && have_node=1
echo "ipcscope bench: $N round trips of a 64-byte JSON line per contender, $ROUNDS rounds"
echo "machine: $(nproc) cores, $(uname -r), node $(node --version 2>/dev/null || echo absent)"
for r in $(seq "$ROUNDS"); do
    "$B" raw "$N" >>"$OUT/raw"
    "$B" channel "$N" >>"$OUT/cc"
    if [ $have_node -eq 1 ]; then
        "$B" channel "$N" node "$TOP/bench/node_fork_pingpong.js" child >>"$OUT/cn"
        node "$TOP/bench/node_fork_pingpong.js" "$N" >>"$OUT/nn"
    fi
    # the fork-ipc demo itself, tracing on (msg events sampled at 200/s)
    "$BUILD/demos/fork-ipc" --json --count "$N" --size 26 2>/dev/null |
        grep '"ev":"bye"' | sed 's/.*"p50":\([0-9]*\),"p99":\([0-9]*\).*/{"p50":\1,"p99":\2}/' >>"$OUT/demo"
    printf '.'
done
echo

# median FILE FIELD: the median over rounds of one field
median() {
    sed -n "s/.*\"$2\":\\([0-9]*\\).*/\\1/p" "$1" | sort -n |
        awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]; else print 0}'
}
us() { awk -v n="$1" 'BEGIN {printf "%8.1f", n/1000}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b) printf "%5.2fx", a/b; else printf "    -"}'; }

raw50=$(median "$OUT/raw" p50); raw99=$(median "$OUT/raw" p99)
nn50=$( [ -s "$OUT/nn" ] && median "$OUT/nn" p50 || echo 0)
printf '\n%-44s %9s %9s %10s %10s\n' "round trip, 64 B" "p50 us" "p99 us" "vs floor" "node/this"
row() { # NAME FILE
    [ -s "$2" ] || return
    p50=$(median "$2" p50); p99=$(median "$2" p99)
    printf '%-44s %s %s %10s %10s\n' "$1" "$(us "$p50")" "$(us "$p99")" "$(ratio "$p50" "$raw50")" "$(ratio "$nn50" "$p50")"
}
row "raw socketpair write/read (the floor)" "$OUT/raw"
row "lib/channel: C parent, C child" "$OUT/cc"
row "lib/channel: C parent, node child" "$OUT/cn"
row "node fork IPC: node parent, node child" "$OUT/nn"
row "fork-ipc demo, C child, events on" "$OUT/demo"
echo
echo "vs floor: p50 / raw socketpair p50.  node/this: node-to-node p50 / this p50 (above 1 = faster than node)."
