#!/bin/sh
# compare: every mechanism on the same work, C and node side by side, as one
# JSON document for `ipcscope compare` and `make bench`. It measures nothing
# itself: it runs the bench programs the per-demo scripts run (bench_pipe,
# bench_channel, bench_sock, bench_redis_rtt, bench_http, node_*.js, the
# shared-memory, fs-watch and patterns demos' own figures, the message-queue
# and cluster demos' lessons), takes each one's JSON line, and hands the rows
# to compare_doc, which adds the claims and their verdicts.
#
#   1. a 64-byte round trip (p50, p99) per mechanism and side: pipe, fork
#      channel (Node's JSON framing, lib/channel in C), Unix socket, FIFO,
#      TCP and UDP loopback, HTTP keep-alive and WebSocket (C: the http
#      demo's server), POSIX mq, Redis pub/sub through a private
#      redis-server, shared memory spinning and waiting on a futex (two
#      threads: C's, and node's main thread and a Worker on a
#      SharedArrayBuffer);
#   2. one-way MB/s where the bench programs measure it (pipe, sockets);
#   3. fs.watch one way, a save to its parse (the fs-watch demo's step 7:
#      inotify, and polling every 100 ms; node's fs.watch and fs.watchFile
#      the same way, node_fswatch.js), and start-up cost: a child that
#      runs uname -s, started and reaped (spawn, exec; node's execFile and
#      fork; C's fork() alone);
#   4. figures the claims need beyond the rows, each a demo's or bench's own
#      JSON line passed on whole: {"figures":NAME,"line":{...}} (the patterns
#      demo's batching and serialization, the shared-memory demo's copy, the
#      fs-watch demo's pipe, node's thread count, the message-queue demo's
#      pub/sub, Streams and persistence);
#   5. what the cluster demo's lesson passed where, once in round robin and
#      once with --sched none, counted from its events: the broadcast's
#      send()s and channels, the handles passed over the workers' channels
#      (claims 7 and 8): {"figures":"cluster","line":{"rr":{...},"none":{...}}};
#   6. a row that cannot be measured says why ("node is not installed").
# The message-queue and cluster lessons are paced by their own timers and
# mostly asleep: they run once, side by side, after the timed runs (about
# 20 s, the longest of them).
#
#   sh bench/compare.sh [--full] [--table] [BUILD_DIR]
#
# Quick by default (N=2000 round trips, 1 round, 64 MB one way, 20 starts,
# 50 saves watched: about half a minute, most of it the fs-watch and
# patterns lessons); --full is make bench's (N=20000, ROUNDS=3, 256 MB, 200
# starts and saves), each figure the median of the rounds. N, ROUNDS,
# BYTES, STARTS and SAVES override either. The scheduler places the
# processes (no taskset): the spinning shared-memory row needs two CPUs.
# Progress goes to stderr, one line per run: "progress I TOTAL EN|ZH".
# Node's redis package is installed once with npm into the cache directory
# (${XDG_CACHE_HOME:-~/.cache}/ipcscope/npm, or $IPCSCOPE_CACHE/npm).
set -u
full=0 table=0
while [ $# -gt 0 ]; do
    case "$1" in
    --full) full=1 ;;
    --table) table=1 ;;
    -*) echo "usage: sh bench/compare.sh [--full] [--table] [BUILD_DIR]" >&2; exit 2 ;;
    *) break ;;
    esac
    shift
done
BUILD=${1:-build}
if [ $full -eq 1 ]; then
    N=${N:-20000} ROUNDS=${ROUNDS:-3} BYTES=${BYTES:-268435456} STARTS=${STARTS:-200} SAVES=${SAVES:-200}
else
    N=${N:-2000} ROUNDS=${ROUNDS:-1} BYTES=${BYTES:-67108864} STARTS=${STARTS:-20} SAVES=${SAVES:-50}
fi
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/bench/lib.sh"
B="$BUILD/bench"
CACHE=${IPCSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ipcscope}
OUT=$(mktemp -d "${TMPDIR:-/tmp}/ipcscope-compare.XXXXXX")
chmod 700 "$OUT"
SERVER="" RUN=""
cleanup() {
    # A second signal (the dashboard's death signal after its q) must not
    # cut the cleaning short.
    trap '' TERM INT HUP
    [ -n "$RUN" ] && kill $RUN 2>/dev/null && wait $RUN 2>/dev/null
    [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
    rm -rf "$OUT"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP
export IPCSCOPE_MSG_RATE=200

[ -x "$B/compare_doc" ] || { echo "compare: $B/compare_doc is not built (make)" >&2; exit 1; }

# What is there to measure with.
node_why=""
command -v node >/dev/null || node_why="node is not installed"
redis_why=""
command -v redis-server >/dev/null || redis_why="redis-server is not installed"
noderedis_why=$node_why
[ -z "$redis_why$node_why" ] && ! command -v npm >/dev/null && noderedis_why="npm is not installed"

say() { printf '%s\n' "$*" >&2; }

if [ -z "$redis_why" ]; then
    SOCK="$OUT/redis.sock"
    redis-server --port 0 --unixsocket "$SOCK" --unixsocketperm 700 --dir "$OUT" --save '' \
        --appendonly no >/dev/null 2>&1 &
    SERVER=$!
    i=0; while [ ! -S "$SOCK" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    [ -S "$SOCK" ] || redis_why="the private redis-server did not start"
fi
if [ -z "$redis_why$noderedis_why" ] && [ ! -d "$CACHE/npm/node_modules/redis" ]; then
    say "note installing node's redis package with npm into $CACHE/npm (once)|用 npm 把 node 的 redis 包装进 $CACHE/npm（只装一次）"
    mkdir -p "$CACHE/npm"
    timeout 180 npm install --silent --no-audit --no-fund --prefix "$CACHE/npm" redis@4 \
        >"$OUT/npm.log" 2>&1 ||
        noderedis_why="npm could not install node's redis package: $(tail -n 1 "$OUT/npm.log")"
fi
[ -n "$redis_why" ] && noderedis_why=$redis_why
# Node's WebSocket client: global in node 22, behind a flag from 20.10.
ws_flag="" nodews_why=$node_why
if [ -z "$node_why" ] && ! node -e 'process.exit(typeof WebSocket === "function" ? 0 : 1)' 2>/dev/null; then
    if node --experimental-websocket -e 'process.exit(typeof WebSocket === "function" ? 0 : 1)' 2>/dev/null; then
        ws_flag=--experimental-websocket
    else
        nodews_why="no WebSocket client in node $(node --version) (node 22 has one, 20.10 and later with --experimental-websocket)"
    fi
fi

# The runs: "KEY|COMMAND|EN|ZH", KEY naming the file its JSON lines go to
# (MECH.IMPL.rt or .tp). A command whose tool is missing is not listed: its
# row says why instead.
P="$B/bench_pipe" C="$B/bench_channel" S="$B/bench_sock" R="$B/bench_redis_rtt"
SHM="$BUILD/demos/shared-memory"
JS="$TOP/bench"
runs="$OUT/runs"
: >"$runs"
add() { printf '%s|%s|%s|%s\n' "$1" "$2" "$3" "$4" >>"$runs"; }
# The pipe's line is "ping ID TIME " + 38 bytes + "\n": 64 bytes, as the others.
add pipe.c.rt "$P pingpong $N 38" "pipe, C" "管道，C"
add pipe.c.tp "$P throughput $BYTES" "pipe one way, C" "管道单向，C"
add fork.c.rt "$C channel $N 'C parent, C child'" "fork channel, C" "fork 通道，C"
for m in unix tcp udp; do
    add "$m.c.rt" "$S $m pingpong $N" "$m socket, C" "$m 套接字，C"
    add "$m.c.tp" "$S $m stream $BYTES" "$m socket one way, C" "$m 套接字单向，C"
done
add mq.c.rt "$R mq $N" "POSIX mq, C" "POSIX 消息队列，C"
[ -z "$redis_why" ] && add redis.c.rt "$R redis $OUT/redis.sock $N" "Redis pub/sub, C" "Redis 发布/订阅，C"
add shm.c.rt "$SHM --json --count 20 --measure $N" "shared memory, C" "共享内存，C"
add fifo.c.rt "$P fifo $N 38" "FIFO, C" "命名管道，C"
add http.c.rt "sh $JS/http_rtt.sh $BUILD get $N" "HTTP keep-alive, C" "HTTP 长连接，C"
add ws.c.rt "sh $JS/http_rtt.sh $BUILD ws $N" "WebSocket, C" "WebSocket，C"
add fsw.c.rt "$BUILD/demos/fs-watch --json --count 1 --measure $SAVES --poll-ms 100" \
    "fs.watch: inotify and polling, C" "fs.watch：inotify 与轮询，C"
add start-spawn.c.rt "$P start $STARTS direct" "start-up: fork + execve, C" "启动：fork + execve，C"
add start-exec.c.rt "$P start $STARTS shell" "start-up: /bin/sh -c, C" "启动：/bin/sh -c，C"
add start-fork.c.rt "$P start $STARTS fork" "start-up: fork() alone, C" "启动：只有 fork()，C"
add patterns "$BUILD/demos/patterns --json --count 1000 --node-trips 10 --watchdog-ms 200 --grace-ms 200" \
    "batching and serialization (patterns demo)" "批处理与序列化（patterns 演示）"
if [ -z "$node_why" ]; then
    add pipe.node.rt "node $JS/node_spawn.js pingpong $N 38" "pipe, node" "管道，node"
    add pipe.node.tp "node $JS/node_spawn.js throughput $BYTES" "pipe one way, node" "管道单向，node"
    add fork.node.rt "node $JS/node_fork_pingpong.js $N" "fork channel, node" "fork 通道，node"
    for m in unix tcp udp; do
        add "$m.node.rt" "node $JS/node_sock.js $m pingpong $N" "$m socket, node" "$m 套接字，node"
        add "$m.node.tp" "node $JS/node_sock.js $m stream $BYTES" "$m socket one way, node" "$m 套接字单向，node"
    done
    add fifo.node.rt "node $JS/node_spawn.js fifo $N 38" "FIFO, node" "命名管道，node"
    add shm.node.rt "node $JS/node_shm.js $N" "SharedArrayBuffer, node" "SharedArrayBuffer，node"
    add fsw.node.rt "node $JS/node_fswatch.js $SAVES 100" "fs.watch and fs.watchFile, node" \
        "fs.watch 与 fs.watchFile，node"
    add http.node.rt "node $JS/node_http.js get $N" "HTTP keep-alive, node" "HTTP 长连接，node"
    for k in spawn execFile exec fork; do
        add "start-$(echo $k | tr A-Z a-z).node.rt" "node $JS/node_spawn.js start $STARTS $k" \
            "start-up: $k, node" "启动：$k，node"
    done
fi
[ -z "$nodews_why" ] && add ws.node.rt "node $ws_flag $JS/node_http.js ws $N" "WebSocket, node" "WebSocket，node"
[ -z "$noderedis_why" ] && add redis.node.rt "env NODE_PATH=$CACHE/npm/node_modules node $JS/node_redis_rtt.js $OUT/redis.sock $N" \
    "Redis pub/sub, node" "Redis 发布/订阅，node"

total=$(($(wc -l <"$runs") * ROUNDS + 1))
i=0
for r in $(seq "$ROUNDS"); do
    while IFS='|' read -r key cmd en zh; do
        i=$((i + 1))
        say "progress $i $total $en|$zh"
        # In the background, so that a signal is handled at once, not when
        # the bench ends: timeout runs it in a process group of its own, and
        # passes the cleanup's kill on to it.
        eval "timeout 120 $cmd" </dev/null 2>>"$OUT/errors" >"$OUT/last" &
        RUN=$!
        wait "$RUN"
        rc=$?
        RUN=""
        case "$key" in
        shm.c.* | fsw.c.*) # a demo: its figures are in its bye, kept whole for the claims
            grep '"ev":"bye"' "$OUT/last" | tail -n 1 >"$OUT/${key%%.*}.bye"
            sed -n 's/.*"measure":{\([^}]*\)}.*/{\1}/p' "$OUT/${key%%.*}.bye" >>"$OUT/$key" ;;
        patterns) grep '"ev":"bye"' "$OUT/last" | tail -n 1 >"$OUT/patterns.bye" ;;
        *) grep '^{' "$OUT/last" | tail -n 1 >>"$OUT/$key" ;;
        esac
        [ $rc -eq 0 ] || echo "$key: exit $rc" >>"$OUT/failed"
    done <"$runs"
done

# The lessons of claims 6-8, side by side, once: the message-queue demo
# (pub/sub, Streams, persistence; it starts redis-servers of its own), the
# cluster demo in round robin and with --sched none (C workers, 20 requests
# through the shared port).
i=$((i + 1))
say "progress $i $total the message-queue and cluster lessons, side by side|message-queue 与 cluster 两课，同时进行"
MQ="$BUILD/demos/message-queue" CL="$BUILD/demos/cluster"
RUN=""
if [ -z "$redis_why" ]; then
    timeout 120 "$MQ" --json --count 1 </dev/null >"$OUT/mq.events" 2>>"$OUT/errors" &
    RUN="$RUN $!"
fi
timeout 120 "$CL" --json --count 20 </dev/null >"$OUT/cluster-rr.events" 2>>"$OUT/errors" &
RUN="$RUN $!"
timeout 120 "$CL" --json --count 20 --sched none </dev/null >"$OUT/cluster-none.events" 2>>"$OUT/errors" &
RUN="$RUN $!"
wait $RUN
RUN=""
[ -s "$OUT/mq.events" ] && grep '"ev":"bye"' "$OUT/mq.events" | tail -n 1 >"$OUT/mq.bye"

# cluster_figures FILE: the cluster demo's events as one JSON object: the
# workers at the broadcast (step 4), its send()s, on how many channels, and
# the time from the first to the last; the workers' channels opened
# (socketpairs); the handles the master passed on them, each with a
# connection (newconn) or with its answer to a listen (the listening
# socket); and from its bye, the workers forked and the connections the
# master accepted.
cluster_figures() {
    awk '
    function num(k, m) {
        if (!match($0, "\"" k "\":[0-9]+")) return -1
        m = substr($0, RSTART, RLENGTH); sub(/.*:/, "", m); return m + 0
    }
    /"ev":"hello"/ && !master { master = num("pid") }
    /"ev":"chan"/ && /"state":"open"/ && /"id":"worker [0-9]+","kind":"socketpair"/ { pairs++ }
    /"ev":"step"/ && num("pid") == master { step = num("n"); if (step == 4) workers = pairs }
    /"ev":"msg"/ && /"dir":"send"/ && num("pid") == master {
        if (step == 4) {
            t = num("t"); if (!sends) first = t; last = t; sends++
            match($0, /"chan":"[^"]*"/); c = substr($0, RSTART, RLENGTH)
            if (!(c in seen)) { seen[c] = 1; chans++ }
        }
        if (/NODE_HANDLE/) { if (/newconn/) conn++; else listen++ }
    }
    /"ev":"bye"/ { forked = num("workers_forked"); accepted = num("connections_accepted"); ok = num("ok") }
    END {
        printf "{\"workers\":%d,\"broadcast_sends\":%d,\"broadcast_channels\":%d,", workers, sends, chans
        printf "\"broadcast_first_to_last_ns\":%d,\"socketpairs\":%d,", last - first, pairs
        printf "\"handles_with_connection\":%d,\"handles_with_listen\":%d,", conn, listen
        printf "\"workers_forked\":%d,\"connections_accepted\":%d,\"requests_ok\":%d}", forked, accepted, ok
    }' "$1"
}

# One row: MECH IMPL DEMO [P50FIELD P99FIELD [RTKEY]], from the medians of the
# rounds; a row without figures says why.
row() {
    mech=$1 impl=$2 demo=$3 f50=${4:-p50} f99=${5:-p99} key=${6:-$1.$2}
    why=""
    [ "$impl" = node ] && why=$node_why
    [ "$mech" = redis-pubsub ] && { [ "$impl" = node ] && why=$noderedis_why || why=$redis_why; }
    [ "$mech" = websocket ] && [ "$impl" = node ] && why=$nodews_why
    if [ -z "$why" ] && [ ! -s "$OUT/$key.rt" ]; then
        why="the run gave no figure ($(grep "^$key.rt:" "$OUT/failed" 2>/dev/null | head -n 1 |
            sed 's/.*: //')$(tail -n 1 "$OUT/errors" 2>/dev/null | sed 's/^/: /'))"
    fi
    if [ -n "$why" ]; then
        printf '{"mechanism":"%s","impl":"%s","demo":"%s","not_measured":"%s"}\n' \
            "$mech" "$impl" "$demo" "$(printf '%s' "$why" | sed 's/["\\]/\\&/g' | tr -d '\n')"
        return
    fi
    mb=""
    if [ -s "$OUT/$key.tp" ]; then
        bps=$(median "$OUT/$key.tp" bps)
        mbs=$(median "$OUT/$key.tp" mb_s)
        mb=$(awk -v a="$bps" -v b="$mbs" 'BEGIN {printf ",\"mbps\":%.1f", (a > 0 ? a / 1e6 : b)}')
    fi
    printf '{"mechanism":"%s","impl":"%s","demo":"%s","rtt_p50_ns":%s,"rtt_p99_ns":%s%s}\n' \
        "$mech" "$impl" "$demo" "$(median "$OUT/$key.rt" "$f50")" "$(median "$OUT/$key.rt" "$f99")" "$mb"
}

q() { printf '%s' "$1" | sed 's/["\\]/\\&/g'; }
{
    printf '{"date":"%s","mode":"%s","n":%s,"rounds":%s,"bytes_one_way":%s,' \
        "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$([ $full -eq 1 ] && echo full || echo quick)" "$N" "$ROUNDS" "$BYTES"
    printf '"machine":{"cores":%s,"kernel":"%s","cpu":"%s"},' "$(nproc)" "$(q "$(uname -r)")" \
        "$(q "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)")"
    printf '"versions":{"node":"%s","redis":"%s"}}\n' "$(q "$(node --version 2>/dev/null)")" \
        "$(q "$(redis-server --version 2>/dev/null | sed -n 's/.* v=\([^ ]*\).*/\1/p')")"
    for impl in c node; do
        row pipe "$impl" stdio-pipe
        row fork-channel "$impl" fork-ipc p50 p99 "fork.$impl"
        row unix-socket "$impl" unix-socket p50 p99 "unix.$impl"
        row tcp "$impl" tcp
        row udp "$impl" udp
    done
    row posix-mq c message-queue p50 p99 mq.c
    printf '{"mechanism":"posix-mq","impl":"node","demo":"message-queue","not_measured":"node has no POSIX message queue API"}\n'
    row redis-pubsub c message-queue p50 p99 redis.c
    row redis-pubsub node message-queue p50 p99 redis.node
    row shm-spin c shared-memory spin_p50_ns spin_p99_ns shm.c
    row shm-futex c shared-memory futex_p50_ns futex_p99_ns shm.c
    row shm-spin node shared-memory spin_p50_ns spin_p99_ns shm.node
    row shm-futex node shared-memory futex_p50_ns futex_p99_ns shm.node
    for impl in c node; do
        row fifo "$impl" unix-socket p50 p99 "fifo.$impl"
        row http "$impl" http p50 p99 "http.$impl"
        row websocket "$impl" http p50 p99 "ws.$impl"
    done
    row fs-watch-inotify c fs-watch inotify_p50_ns inotify_p99_ns fsw.c
    row fs-watch-poll c fs-watch poll_p50_ns poll_p99_ns fsw.c
    row fs-watch-inotify node fs-watch inotify_p50_ns inotify_p99_ns fsw.node
    row fs-watch-poll node fs-watch poll_p50_ns poll_p99_ns fsw.node
    for impl in c node; do
        row start-spawn "$impl" stdio-pipe p50 p99 "start-spawn.$impl"
        if [ $impl = c ]; then
            printf '{"mechanism":"start-execfile","impl":"c","demo":"stdio-pipe","not_measured":"in C, execFile is fork + execve: the spawn row"}\n'
        else
            row start-execfile node stdio-pipe p50 p99 start-execfile.node
        fi
        row start-exec "$impl" stdio-pipe p50 p99 "start-exec.$impl"
        row start-fork "$impl" fork-ipc p50 p99 "start-fork.$impl"
    done
    # The claims' other figures: each line as its program wrote it.
    for f in patterns shm fsw; do
        [ -s "$OUT/$f.bye" ] && printf '{"figures":"%s","line":%s}\n' "$f" "$(cat "$OUT/$f.bye")"
    done
    [ -s "$OUT/pipe.node.rt" ] && printf '{"figures":"node","line":%s}\n' "$(tail -n 1 "$OUT/pipe.node.rt")"
    if [ -s "$OUT/mq.bye" ]; then
        printf '{"figures":"mq","line":%s}\n' "$(cat "$OUT/mq.bye")"
    else
        printf '{"figures":"mq","line":{"not_measured":"%s"}}\n' \
            "$(q "${redis_why:-the message-queue demo gave no figures$(tail -n 1 "$OUT/errors" 2>/dev/null | sed 's/^/: /')}")"
    fi
    if grep -q '"ev":"bye"' "$OUT/cluster-rr.events" 2>/dev/null; then
        printf '{"figures":"cluster","line":{"rr":%s' "$(cluster_figures "$OUT/cluster-rr.events")"
        grep -q '"ev":"bye"' "$OUT/cluster-none.events" 2>/dev/null &&
            printf ',"none":%s' "$(cluster_figures "$OUT/cluster-none.events")"
        printf '}}\n'
    else
        printf '{"figures":"cluster","line":{"not_measured":"%s"}}\n' \
            "$(q "the cluster demo gave no figures$(tail -n 1 "$OUT/errors" 2>/dev/null | sed 's/^/: /')")"
    fi
} >"$OUT/rows"

if [ $table -eq 1 ]; then
    "$B/compare_doc" --table <"$OUT/rows"
else
    "$B/compare_doc" <"$OUT/rows"
fi
