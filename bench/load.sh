#!/bin/sh
# make load: the tcp demo's chat server (tcp --listen) under a crowd and a
# churn, driven by bench/load_tcp.c, with the figures next to the targets of
# the issue "Hostile peers, stalled readers and a crowd". Measured, never
# asserted: the exit status says whether the runs went through, not whether
# a target was met.
#
#   1. crowd:  CLIENTS clients at once, each a line a second for LOAD_SECONDS
#              seconds; the server broadcasts every line to every other client
#   2. echo:   the same crowd with TALKERS of them talking, so that the
#              broadcasts (TALKERS x CLIENTS lines a second instead of
#              CLIENTS x CLIENTS) no longer hide what the crowd itself costs
#   3. churn:  CYCLES connect-and-close cycles, IN_FLIGHT at once
#
# Each runs against a server of its own, started with its descriptor limit
# raised to the hard limit (the server has no cap on clients of its own) and
# --idle-ms 0 (IDLE_MS): the crowd talks only once its last client is in, and
# at the server's default of 30 s the first ones, silent until then, are cut
# when the accepts take long. It is stopped with SIGTERM afterwards, and how
# long it takes to end is said. During each, the server's VmRSS is sampled from
# /proc/PID/status; VmHWM is its peak. Its CPU time (utime + stime from
# /proc/PID/stat) and the kernel's ListenOverflows (a full accept queue: the
# SYN is dropped and the client tries again a second later) say where the
# time went.
#
#   sh bench/load.sh [BUILD_DIR]   CLIENTS=1000 LOAD_SECONDS=10 TALKERS=10
#                                  CYCLES=10000 IN_FLIGHT=64 TIMEOUT=30 IDLE_MS=0
#
# TALKERS=0 skips the second crowd, CYCLES=0 the churn; LOAD_KEEP=1 keeps the
# servers' narration and the JSON lines in the directory it names at the end.
set -u
BUILD=${1:-build}
CLIENTS=${CLIENTS:-1000}
LOAD_SECONDS=${LOAD_SECONDS:-10}
TALKERS=${TALKERS:-10}
CYCLES=${CYCLES:-10000}
IN_FLIGHT=${IN_FLIGHT:-64}
TIMEOUT=${TIMEOUT:-30}
IDLE_MS=${IDLE_MS:-0}
DEMO="$BUILD/demos/tcp"
GEN="$BUILD/bench/load_tcp"
OUT=$(mktemp -d "${TMPDIR:-/tmp}/ipcscope-load.XXXXXX")
SPID=""
SAMPLER=""
HZ=$(getconf CLK_TCK)

for b in "$DEMO" "$GEN"; do
    if [ ! -x "$b" ]; then
        echo "bench/load.sh: $b is not built (make)" >&2
        rm -rf "$OUT"
        exit 1
    fi
done

stop_server() {
    [ -n "$SPID" ] || return 0
    kill -TERM "$SPID" 2>/dev/null
    i=0
    while kill -0 "$SPID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    STOPPED="$i"
    if kill -0 "$SPID" 2>/dev/null; then
        STOPPED=killed
        kill -KILL "$SPID" 2>/dev/null
    fi
    wait "$SPID" 2>/dev/null
    SPID=""
    # the sampler ends by itself once /proc/PID is gone
    [ -n "$SAMPLER" ] && wait "$SAMPLER" 2>/dev/null
    SAMPLER=""
}
trap 'stop_server; [ -n "${LOAD_KEEP:-}" ] && echo "kept: $OUT" || rm -rf "$OUT"' EXIT
trap 'exit 130' INT TERM

# start_server NAME: a server on a port the kernel picks; sets SPID and PORT.
start_server() {
    (ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$DEMO" --listen 127.0.0.1:0 --idle-ms "$IDLE_MS" --max-clients 100000) \
        >"$OUT/$1.server" 2>&1 &
    SPID=$!
    PORT=""
    i=0
    while [ -z "$PORT" ] && [ $i -lt 50 ]; do
        PORT=$(sed -n 's/^tcp: listening on .*:\([0-9]*\)$/\1/p' "$OUT/$1.server")
        [ -n "$PORT" ] || sleep 0.1
        i=$((i + 1))
    done
    if [ -z "$PORT" ]; then
        echo "bench/load.sh: the server did not say its port within 5 s:" >&2
        cat "$OUT/$1.server" >&2
        exit 1
    fi
    # VmRSS every 200 ms while it runs, in kB
    (while :; do
        sed -n 's/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$SPID/status" 2>/dev/null || exit 0
        sleep 0.2
    done) >"$OUT/$1.rss" &
    SAMPLER=$!
}

status_kb() { sed -n "s/^$1:[^0-9]*\\([0-9]*\\).*/\\1/p" "/proc/$SPID/status"; }
cpu_ticks() { sed 's/.*) //' "/proc/$SPID/stat" | awk '{print $12 + $13}'; }
# the loop thread's alone (the others are libuv's pool, naming peers)
loop_ticks() { sed 's/.*) //' "/proc/$SPID/task/$SPID/stat" | awk '{print $12 + $13}'; }
overflows() {
    awk '/^TcpExt:/ { if (!h) { split($0, k); h = 1 } else { split($0, v)
         for (i in k) if (k[i] == "ListenOverflows") print v[i] } }' /proc/net/netstat
}
field() { sed -n "s/.*\"$2\":\\([0-9.e+-]*\\).*/\\1/p" "$OUT/$1.json"; }
f3() { awk -v n="$1" 'BEGIN {printf "%.3f", n}'; }
f1() { awk -v n="$1" 'BEGIN {printf "%.1f", n}'; }
# The rows of /proc/net/tcp (TIME_WAIT ones too): what the server reads to
# name each new peer, so a figure depends on how many sockets there are.
tcp_rows() { tail -n +2 /proc/net/tcp | wc -l; }
mb() { awk -v k="$1" 'BEGIN {printf "%.1f MB", k / 1024}'; }

# phase NAME ARGS...: one run of load_tcp against a fresh server; its JSON in
# NAME.json, and the server's figures in NAME.fig.
phase() {
    name=$1; shift
    start_server "$name"
    rows=$(tcp_rows)
    t0=$(cpu_ticks); l0=$(loop_ticks); o0=$(overflows); w0=$(date +%s.%N)
    "$GEN" --json --timeout "$TIMEOUT" "$@" "127.0.0.1:$PORT" >"$OUT/$name.json"
    code=$?
    w1=$(date +%s.%N); t1=$(cpu_ticks); l1=$(loop_ticks); o1=$(overflows)
    hwm=$(status_kb VmHWM)
    sleep 1 # what the server keeps once the crowd is gone
    after=$(status_kb VmRSS)
    peak=$(sort -n "$OUT/$name.rss" | tail -n 1)
    alive=yes; kill -0 "$SPID" 2>/dev/null || alive=no
    stop_server
    echo "$hwm $after ${peak:-0} $((t1 - t0)) $w0 $w1 $((o1 - o0)) $alive $code $rows $STOPPED $((l1 - l0))" \
        >"$OUT/$name.fig"
    if [ "$code" -ne 0 ]; then
        echo "bench/load.sh: load_tcp $* ended with status $code" >&2
        FAILED=1
    fi
    printf '.'
}

FAILED=0
echo "ipcscope load, tcp --listen 127.0.0.1:0 --idle-ms $IDLE_MS: $CLIENTS clients x $LOAD_SECONDS lines (then $TALKERS of them talking), $CYCLES connect-close cycles"
echo "machine: $(nproc) cores, $(uname -r); descriptors: soft $(ulimit -n), hard $(ulimit -Hn) (server and load_tcp raise soft to hard)"
phase crowd --clients "$CLIENTS" --seconds "$LOAD_SECONDS" --cycles 0
[ "$TALKERS" -gt 0 ] && phase echo --clients "$CLIENTS" --talkers "$TALKERS" --seconds "$LOAD_SECONDS" --cycles 0
[ "$CYCLES" -gt 0 ] && phase churn --clients 0 --cycles "$CYCLES" --in-flight "$IN_FLIGHT"
echo

# server NAME: its figures, one line
server() {
    set -- $(cat "$OUT/$1.fig")
    awk -v cpu="$4" -v hz="$HZ" -v w0="$5" -v w1="$6" -v hwm="$1" -v after="$2" -v ov="$7" \
        -v alive="$8" -v rows="${10}" -v stop="${11}" -v loop="${12}" 'BEGIN {
        printf "  server: peak RSS %.1f MB (VmHWM), %.1f MB a second after; CPU %.2f s in %.2f s (%.0f%% of a core), %.2f s of it the loop thread\n",
            hwm / 1024, after / 1024, cpu / hz, w1 - w0, 100 * cpu / hz / (w1 - w0), loop / hz
        printf "          %d accept-queue overflows; %d sockets in /proc/net/tcp at the start%s\n",
            ov, rows, alive == "yes" ? "" : "; the server DIED"
        if (stop == "killed")
            printf "          SIGTERM did not end it within 10 s: SIGKILL\n"
        else
            printf "          SIGTERM ended it within %.1f s\n", (stop + 1) / 10 }'
}

crowd_lines() { # NAME
    n=$1
    printf '  accepted %s of %s, the last after %s s (all connected after %s s); p50 %s ms, p99 %s ms\n' \
        "$(field "$n" accepted)" "$CLIENTS" "$(f3 "$(field "$n" accept_s)")" \
        "$(f3 "$(field "$n" connect_s)")" "$(f1 "$(field "$n" accept_p50_ms)")" \
        "$(f1 "$(field "$n" accept_p99_ms)")"
    printf '  refused %s, cut %s + %s, not accepted within %s s %s\n' "$(field "$n" refused)" \
        "$(field "$n" cut_before_accept)" "$(field "$n" cut_after_accept)" "$TIMEOUT" \
        "$(field "$n" timed_out)"
    printf '  lines %s sent in %s s, %s echoed, %s lost; echo p50 %s ms, p99 %s ms, max %s ms; %s broadcasts read\n' \
        "$(field "$n" lines_sent)" "$(f1 "$(field "$n" talk_s)")" "$(field "$n" echoes)" \
        "$(field "$n" lost)" "$(f1 "$(field "$n" echo_p50_ms)")" "$(f1 "$(field "$n" echo_p99_ms)")" \
        "$(f1 "$(field "$n" echo_max_ms)")" \
        "$(field "$n" broadcasts)"
    printf '  errors: %s; load_tcp used %s s of CPU\n' \
        "$(sed -n 's/.*"errors":{\([^}]*\)}.*/\1/p' "$OUT/$n.json" | sed 's/^$/none/')" \
        "$(field "$n" cpu_s)"
    server "$n"
}

echo "crowd: $CLIENTS clients, every one talking"
crowd_lines crowd
if [ "$TALKERS" -gt 0 ]; then
    echo "echo: the same crowd, $TALKERS talking (fewer broadcasts)"
    crowd_lines echo
fi
[ "$CYCLES" -gt 0 ] && echo "churn: $CYCLES connect-and-close cycles, $IN_FLIGHT in flight" &&
printf '  %s of %s cycles in %s s (%s a second), %s connected; errors: %s\n' \
    "$(field churn cycles_done)" "$CYCLES" "$(f3 "$(field churn churn_s)")" \
    "$(f1 "$(field churn churn_per_s)")" \
    "$(field churn cycles_connected)" \
    "$(sed -n 's/.*"errors":{\([^}]*\)}.*/\1/p' "$OUT/churn.json" | sed 's/^$/none/')" &&
server churn

# target LABEL MEASURED MET
target() { printf '%-46s %-22s %s\n' "$1" "$2" "$([ "$3" = 1 ] && echo met || echo 'NOT met')"; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN {print (a != "" && a + 0 < b + 0) ? 1 : 0}'; }

echo
echo "against the issue's targets (the crowd with every client talking):"
acc=$(field crowd accepted); accs=$(f3 "$(field crowd accept_s)")
all=0; [ "$acc" = "$CLIENTS" ] && all=$(lt "$accs" 1)
target "all $CLIENTS accepted within 1 s" "$acc in $accs s" "$all"
p99=$(f1 "$(field crowd echo_p99_ms)")
target "echo p99 under 50 ms" "$p99 ms" "$(lt "$p99" 50)"
hwm=$(cut -d' ' -f1 "$OUT/crowd.fig")
target "server RSS under 64 MB" "$(mb "$hwm") peak" "$(lt "$hwm" 65536)"
if [ "$CYCLES" -gt 0 ]; then
    done_=$(field churn cycles_done); cs=$(f3 "$(field churn churn_s)")
    ok=0; [ "$done_" = "$CYCLES" ] && ok=$(lt "$cs" 5)
    target "$CYCLES connect-close cycles under 5 s" "$done_ in $cs s" "$ok"
fi
echo "(measured on a machine that may be busy; a benchmark, never a test)"
exit $FAILED
