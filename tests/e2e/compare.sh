# The compare screen and `ipcscope compare --json`, on a quick run:
#   1. --json: one document, every row's figures positive and finite (or a
#      reason it was not measured), C rows and, with node, node rows, every
#      claim with a known verdict in both languages and a demo that exists,
#      with a step of that demo's lesson table; claims 6-8 from the
#      message-queue and cluster lessons, their verdicts where the figures
#      are counts (deterministic); the cache holds the same document;
#   2. without node, npm and redis-server on PATH: their rows say why, no crash,
#      claim 6 not measured and why, the cluster's claims still measured;
#   3. the screen in tmux at 80x24 and 160x40, English and Chinese (L): the
#      cached figures at once (no run started), the articles' columns, the
#      claims with the demo and step that show them; c from the menu; m
#      measures again with a progress line;
#   4. q in the middle of a run ends it: no bench, node or redis-server left,
#      no temporary directory.
# No timing threshold: what is checked is what is shown, never how fast.
. "${TOP:-.}/tests/lib.sh"

IPCSCOPE="$BUILD/bin/ipcscope"
[ -x "$IPCSCOPE" ] && [ -x "$BUILD/bench/compare_doc" ] || { fail "compare: build first (make)"; exit 0; }
command -v jq >/dev/null || { skip "compare: jq is not installed"; exit 0; }
export XDG_CACHE_HOME="$PWD/cache"
CACHE="$XDG_CACHE_HOME/ipcscope/compare.json"

# ---- 1. --json -------------------------------------------------------------------
"$IPCSCOPE" compare --json >doc.json 2>progress.txt
rc=$?
check "compare --json: exits 0 (exit $rc; $(tail -n 1 progress.txt))" [ $rc -eq 0 ]
check "compare --json: one JSON document with date, machine and versions" \
    jq -e '(.date | length > 0) and .machine.cores > 0 and (.machine.kernel | length > 0)
           and (.versions.libuv | length > 0) and .mode == "quick"' doc.json
check "compare --json: said how far it was on stderr" grep -q 'compare: [0-9]*/[0-9]* ' progress.txt
bad=$(jq -r '.rows[] | select(
        if has("not_measured") then (.not_measured | length == 0)
        else ([.rtt_p50_ns, .rtt_p99_ns, (.mbps // 1)] | any(type != "number" or . <= 0 or isinfinite or isnan))
             or .rtt_p99_ns < .rtt_p50_ns end) | "\(.mechanism)/\(.impl)"' doc.json)
check "compare --json: every row's figures positive and finite, or why not${bad:+ (bad: $bad)}" [ -z "$bad" ]
for m in pipe fork-channel unix-socket tcp udp posix-mq shm-spin shm-futex; do
    jq -e --arg m "$m" 'any(.rows[]; .mechanism == $m and .impl == "c" and .rtt_p50_ns > 0)' doc.json >/dev/null ||
        bad="$bad $m"
done
check "compare --json: C rows measured for every kernel mechanism${bad:+ (missing:$bad)}" [ -z "$bad" ]
if command -v redis-server >/dev/null; then
    check "compare --json: Redis pub/sub measured in C through a private redis-server" \
        jq -e 'any(.rows[]; .mechanism == "redis-pubsub" and .impl == "c" and .rtt_p50_ns > 0)' doc.json
fi
if command -v node >/dev/null; then
    bad=""
    for m in pipe fork-channel unix-socket tcp udp; do
        jq -e --arg m "$m" 'any(.rows[]; .mechanism == $m and .impl == "node" and .rtt_p50_ns > 0)' doc.json \
            >/dev/null || bad="$bad $m"
    done
    check "compare --json: node rows beside the C ones${bad:+ (missing:$bad)}" [ -z "$bad" ]
    bad=""
    for m in shm-spin shm-futex fs-watch-inotify fs-watch-poll; do
        jq -e --arg m "$m" 'any(.rows[]; .mechanism == $m and .impl == "node" and .rtt_p50_ns > 0)' doc.json \
            >/dev/null || bad="$bad $m"
    done
    check "compare --json: node's SharedArrayBuffer and fs.watch rows${bad:+ (missing:$bad)}" [ -z "$bad" ]
else
    skip "compare --json: node is not installed, no node rows to check"
fi
bad=""
for m in fifo http websocket fs-watch-inotify fs-watch-poll start-spawn start-exec start-fork; do
    jq -e --arg m "$m" 'any(.rows[]; .mechanism == $m and .impl == "c" and .rtt_p50_ns > 0)' doc.json >/dev/null ||
        bad="$bad $m"
done
check "compare --json: FIFO, HTTP, WebSocket, fs.watch and start-up measured in C${bad:+ (missing:$bad)}" [ -z "$bad" ]
bad=$(jq -r '[.rows[] | select(.mechanism | IN("fifo", "http", "websocket", "fs-watch-inotify", "fs-watch-poll",
        "start-spawn", "start-execfile", "start-exec", "start-fork"))] as $r
      | ["c", "node"][] as $i | ($r | map(select(.impl == $i)) | length) as $n
      | select($n != 9) | "\($i): \($n) of 9"' doc.json)
check "compare --json: each new row has a C and a node side, figures or a reason${bad:+ ($bad)}" [ -z "$bad" ]
if command -v node >/dev/null; then
    bad=""
    for m in fifo http start-spawn start-execfile start-exec start-fork; do
        jq -e --arg m "$m" 'any(.rows[]; .mechanism == $m and .impl == "node" and .rtt_p50_ns > 0)' doc.json \
            >/dev/null || bad="$bad $m"
    done
    check "compare --json: node's FIFO, HTTP and start-up rows${bad:+ (missing:$bad)}" [ -z "$bad" ]
    check "compare --json: node's WebSocket measured, or why not" \
        jq -e 'any(.rows[]; .mechanism == "websocket" and .impl == "node"
                and (.rtt_p50_ns > 0 or (.not_measured | test("WebSocket client"))))' doc.json
fi
check "compare --json: the claims 5, 7 and 9-13 of #19, each with its figure" \
    jq -e '[.claims[] | select(.id | IN("fswatch-slow", "cluster-broadcast", "execfile-over-exec", "batching",
            "msgpack", "node-threads", "buffer-copy"))] | length == 7 and all(.[]; .verdict != "not measured")' doc.json
check "compare --json: article 002's Buffer is a copy (does not hold, in both languages)" \
    jq -e 'any(.claims[]; .id == "buffer-copy" and .verdict == "does not hold" and .verdict_zh == "不成立"
                and (.sentence_en | test("zeros")) and (.sentence_zh | test("拷贝")))' doc.json
check "compare --json: MessagePack on node's JSON channel is larger (depends)" \
    jq -e '.figures.patterns.summary.serialization as $z | $z.buffer_wire_bytes > $z.json_wire_bytes
           and any(.claims[]; .id == "msgpack" and .verdict == "depends")' doc.json
check "compare --json: cluster's broadcast is a loop, one send() per worker on its own channel (does not hold)" \
    jq -e '.figures.cluster.rr as $r | $r.workers >= 2 and $r.broadcast_sends == $r.workers
           and $r.broadcast_channels == $r.workers and $r.broadcast_first_to_last_ns >= 0
           and any(.claims[]; .id == "cluster-broadcast" and .verdict == "does not hold"
                   and (.sentence_en | test("loop")) and (.sentence_zh | test("循环")))' doc.json
check "compare --json: cluster's shared port passes a handle per connection over socketpairs, or the listening socket per worker (depends)" \
    jq -e '.figures.cluster as $c | $c.rr.connections_accepted > 0
           and $c.rr.handles_with_connection == $c.rr.connections_accepted and $c.rr.handles_with_listen == 0
           and $c.rr.socketpairs >= $c.rr.workers
           and $c.none.handles_with_listen == $c.none.workers_forked and $c.none.handles_with_connection == 0
           and $c.none.connections_accepted == 0 and $c.none.requests_ok > 0
           and any(.claims[]; .id == "shared-port-uds" and .verdict == "depends"
                   and (.sentence_en | test("SCM_RIGHTS")) and (.sentence_zh | test("SCM_RIGHTS")))' doc.json
if command -v redis-server >/dev/null; then
    check "compare --json: pub/sub lost what was published while its subscriber was down, Streams kept it (depends)" \
        jq -e '.figures.mq.summary as $m | $m.down.published > 0 and $m.down.reached_none == $m.down.published
               and $m.persist.kept == 3 and $m.persist.pending_after_restart == 1 and $m.streams.claimed == 1
               and any(.claims[]; .id == "mq-persistence" and .verdict == "depends")' doc.json
fi
if command -v node >/dev/null; then
    check "compare --json: a running node counted more than one thread (depends)" \
        jq -e '.figures.node.threads > 1 and any(.claims[]; .id == "node-threads" and .verdict == "depends")' doc.json
fi
check "compare --json: the claims of #19 (1, 2, 4) and more, each with a known verdict in both languages" \
    jq -e '(.claims | length >= 4) and
           ([.claims[].id] | contains(["unix-fastest", "unix-near-shm", "fork-above-tcp"])) and
           all(.claims[]; (.verdict | IN("holds", "does not hold", "depends", "not measured"))
               and (.sentence_en | length > 0) and (.sentence_zh | length > 0)
               and (.claim_zh | length > 0) and (.figure | length > 0))' doc.json
"$IPCSCOPE" list | awk '{print $1}' >demos.txt
bad=$(jq -r '.claims[].demo' doc.json | while read -r d; do grep -qx "$d" demos.txt || echo "$d"; done)
check "compare --json: each verdict names a demo of the lab${bad:+ (unknown: $bad)}" [ -z "$bad" ]
# The steps of a demo's lesson table, as demos/DEMO/main.c lists them (its
# first table: unix-socket's second is --fifo's).
lesson_steps() {
    awk '/(scope_demo_lesson_t [a-z_]*\[\] = \{$|\} steps\[\] = \{$|^#define STEPS)/ { on = 1; n = 0; next }
         on && (/\{NULL/ || /^\};/) { print n; exit }
         on && /^[ \t]*\{(N_\()?"/ { n++ }' "$TOP/demos/$1/main.c"
}
bad=$(jq -r '.claims[] | "\(.id) \(.demo) \(.step)"' doc.json | while read -r id d n; do
    max=$(lesson_steps "$d" 2>/dev/null)
    [ -n "$max" ] && [ "$n" -ge 1 ] 2>/dev/null && [ "$n" -le "$max" ] || echo "$id:$d:$n/${max:-?}"
done)
check "compare --json: each verdict links a step of its demo's lesson table${bad:+ (bad: $bad)}" [ -z "$bad" ]
check "compare --json: the links as checked by hand (fork-ipc 6, cluster 4 and 8, message-queue 4, shared-memory 4)" \
    jq -e '[.claims[] | {(.id): "\(.demo) \(.step)"}] | add | .["fork-above-tcp"] == "fork-ipc 6"
           and .["cluster-broadcast"] == "cluster 4" and .["shared-port-uds"] == "cluster 8"
           and .["mq-persistence"] == "message-queue 4" and .["buffer-copy"] == "shared-memory 4"' doc.json
check "compare --json: the cache holds the same document" cmp -s doc.json "$CACHE"

# ---- 2. without node, npm and redis-server -------------------------------------------
mkdir -p nobin
for f in /usr/local/bin/* /usr/bin/* /bin/*; do
    case "${f##*/}" in node | nodejs | npm | npx | redis-server) continue ;; esac
    [ -e "nobin/${f##*/}" ] || ln -s "$f" "nobin/${f##*/}"
done
XDG_CACHE_HOME="$PWD/cache2" PATH="$PWD/nobin" N=100 BYTES=1000000 STARTS=5 SAVES=20 \
    "$IPCSCOPE" compare --json >bare.json 2>bare.txt
rc=$?
check "compare --json without node and redis-server: exits 0 (exit $rc)" [ $rc -eq 0 ]
check "compare --json without node: node rows say node is not installed" \
    jq -e '[.rows[] | select(.impl == "node" and .mechanism != "posix-mq")]
           | length > 0 and all(.not_measured | test("node is not installed|redis-server"))' bare.json
check "compare --json without redis-server: its rows say so, the rest is measured" \
    jq -e 'any(.rows[]; .mechanism == "redis-pubsub" and .impl == "c" and .not_measured == "redis-server is not installed")
           and any(.rows[]; .mechanism == "tcp" and .impl == "c" and .rtt_p50_ns > 0)' bare.json
check "compare --json without node: claim 4 is not measured, not guessed" \
    jq -e 'any(.claims[]; .id == "fork-above-tcp" and .verdict == "not measured")' bare.json
check "compare --json without redis-server: claim 6 is not measured, and says why" \
    jq -e 'any(.claims[]; .id == "mq-persistence" and .verdict == "not measured"
                and (.sentence_en | test("redis-server is not installed")))' bare.json
check "compare --json without node: the cluster's claims 7 and 8 measured all the same (C workers)" \
    jq -e '[.claims[] | select(.id | IN("cluster-broadcast", "shared-port-uds")) | .verdict]
           == ["does not hold", "depends"]' bare.json

# ---- 3. the screen ----------------------------------------------------------------------
if ! command -v tmux >/dev/null; then
    skip "compare: tmux is not installed, no screen test"
    exit 0
fi
SOCK="ipcscope-compare-$$"
T() { tmux -L "$SOCK" "$@"; }
trap 'tmux -L "$SOCK" kill-server 2>/dev/null' EXIT
T new-session -d -s keep -x 80 -y 24 "sleep 3600"
screen() { T capture-pane -p -t "$1"; }
wait_screen() { # SESSION REGEX [SECONDS]: polls the screen until it matches (at most 60 s)
    _n=$((${3:-60} * 10))
    while [ $_n -gt 0 ]; do
        screen "$1" | grep -Eq -- "$2" && return 0
        sleep 0.1; _n=$((_n - 1))
    done
    echo "--- screen of $1 while waiting for: $2"; screen "$1"; return 1
}
start() { # SESSION W H ARGS: ipcscope ARGS; the shell stays to show how it ended
    T new-session -d -s "$1" -x "$2" -y "$3" -e LANG=C.UTF-8 -e TERM=xterm-256color \
        -e XDG_CACHE_HOME="$XDG_CACHE_HOME" -e N=100 -e BYTES=1000000 -e STARTS=5 -e SAVES=20 \
        "$IPCSCOPE $4; echo IPCSCOPE-EXIT-\$?; exec sh"
}

for size in 80x24 160x40; do
    s="c$size" W=${size%x*} H=${size#*x}
    start "$s" "$W" "$H" compare
    check "screen $size: the cached figures at once, with their date and versions" \
        wait_screen "$s" 'CACHED'
    check "screen $size: no run started for a cached document" sh -c "! tmux -L $SOCK capture-pane -p -t $s | grep -q MEASURING"
    check "screen $size: versions shown" wait_screen "$s" 'node .* libuv [0-9.]+ · redis'
    bad=""
    for name in 'pipe' 'fork channel' 'Unix socket' 'TCP loopback' 'UDP loopback' 'POSIX mq' 'Redis pub/sub' \
        'shm spinning' 'shm futex'; do
        screen "$s" | grep -q "^ $name " || bad="$bad '$name'"
    done
    check "screen $size: every mechanism's row in the table${bad:+ (missing:$bad)}" [ -z "$bad" ]
    # Two lines down every mechanism's row is on the screen, at 80x24 too.
    T send-keys -t "$s" Down Down
    wait_screen "$s" '^ start fork ' >/dev/null
    bad=""
    for name in 'FIFO' 'HTTP' 'WebSocket' 'watch inotify' 'watch polling' 'start spawn' 'start execFile' \
        'start exec' 'start fork'; do
        screen "$s" | grep -q "^ $name " || bad="$bad '$name'"
    done
    check "screen $size: the new rows too, all at once two lines down${bad:+ (missing:$bad)}" [ -z "$bad" ]
    check "screen $size: fs.watch beside 001's one star" wait_screen "$s" 'watch inotify .*★☆☆☆☆'
    T send-keys -t "$s" Home
    check "screen $size: 000's speed and 001's stars beside the figures" \
        wait_screen "$s" 'Unix socket .*very fast +no +★★★★★'
    T send-keys -t "$s" End
    check "screen $size: the claims' verdicts below (End)" \
        wait_screen "$s" '\[(holds|does not hold|depends|not measured)\]'
    check "screen $size: the demo and step under the last verdict" \
        wait_screen "$s" 'see: shared-memory, step 4 · from: '
    T send-keys -t "$s" L
    check "screen $size: Chinese (L)" wait_screen "$s" '缓存'
    T send-keys -t "$s" Home
    check "screen $size: the table in Chinese, 000's words as the article says them" \
        wait_screen "$s" 'Unix 套接字 .*很快 +❌ +★★★★★'
    T send-keys -t "$s" End
    check "screen $size: the verdicts in Chinese" wait_screen "$s" '\[(成立|不成立|视情况而定|未测量)\]'
    check "screen $size: the demo and step under the last verdict, in Chinese" \
        wait_screen "$s" '见：shared-memory 第 4 步 · 出自：'
    check "screen $size: the last claim, article 002's Buffer, in Chinese" wait_screen "$s" '拷贝'
    T send-keys -t "$s" L
    check "screen $size: back to English" wait_screen "$s" 'CACHED'
    T send-keys -t "$s" q
    check "screen $size: q goes back to the menu" wait_screen "$s" 'Mechanisms'
    T send-keys -t "$s" c
    check "screen $size: c in the menu opens it again" wait_screen "$s" 'CACHED'
    T send-keys -t "$s" m
    check "screen $size: m measures again, with a progress line" wait_screen "$s" 'MEASURING [0-9]+/[0-9]+'
    if [ "$size" = 80x24 ]; then
        # q in the middle of the run: it ends with everything it started
        T send-keys -t "$s" q
        check "screen $size: q during a run goes back to the menu" wait_screen "$s" 'Mechanisms'
    else
        check "screen $size: the run ends and its figures replace the cached ones" wait_screen "$s" ' MEASURED *$' 180
        check "screen $size: the new figures are cached" jq -e '.n == 100' "$CACHE"
    fi
    T send-keys -t "$s" q
    wait_screen "$s" 'Mechanisms' >/dev/null && T send-keys -t "$s" q
    check "screen $size: q quits with status 0" wait_screen "$s" 'IPCSCOPE-EXIT-0'
    T kill-session -t "$s"
done

# ---- 4. nothing left --------------------------------------------------------------------
i=0
while [ $i -lt 300 ]; do
    left=$(pgrep -f "ipcscope-compare\.|bench_sock|bench_pipe|bench_channel|bench_redis_rtt|bench_http|node_sock.js|node_spawn.js|node_http.js|demos/http|demos/fs-watch|demos/patterns|redis-server" \
        -u "$(id -u)" | while read -r p; do
        { tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null | grep -qx "XDG_CACHE_HOME=$XDG_CACHE_HOME" && echo "$p"
    done)
    [ -z "$left" ] && ! ls -d "${TMPDIR:-/tmp}"/ipcscope-compare.* >/dev/null 2>&1 && break
    sleep 0.1; i=$((i + 1))
done
check "compare: no bench, node or redis-server process left${left:+ (left: $left)}" [ -z "$left" ]
check "compare: no temporary directory left" sh -c "! ls -d '${TMPDIR:-/tmp}'/ipcscope-compare.* 2>/dev/null"
check "compare: no FIFO directory left" sh -c "! ls -d '${TMPDIR:-/tmp}'/bench-fifo.* '${TMPDIR:-/tmp}'/node-fifo-* '${TMPDIR:-/tmp}'/ipcscope-http-rtt.* 2>/dev/null"
