# The compare screen's guide to choosing (g) and quiz (p), in tmux, over a
# compare document this test writes (the format of tui/compare_doc.h) into a
# private XDG_CACHE_HOME, so that every figure and every answer is known:
#   1. the guide: every path of answers walked at 80x24, in English and in
#      Chinese; each ends on its demo's answer with the figures of the
#      document, and together they reach every demo `ipcscope list` names;
#      Enter on an answer opens its demo, and q comes back to the menu;
#   2. the quiz: the figures hidden until the prediction, then the measured
#      answer beside it, the score counted right, the end of the round, L,
#      another round (r) whose session score goes on (IPCSCOPE_QUIZ_ORDER=0:
#      the list's order, every round); with an order key, each round in another
#      order, the same orders again for the same key;
#   3. with no document: both say to measure first (m), and nothing is run;
#   4. 160x40 and TERM=xterm-mono draw the same screens; nothing is left.
# No timing threshold: what is checked is what is shown.
. "${TOP:-.}/tests/lib.sh"

IPCSCOPE="$BUILD/bin/ipcscope"
[ -x "$IPCSCOPE" ] || { fail "compare_guide: build first (make)"; exit 0; }
command -v tmux >/dev/null || { skip "compare_guide: tmux is not installed"; exit 0; }

# ---- the document ------------------------------------------------------------
export XDG_CACHE_HOME="$PWD/cache"
mkdir -p "$XDG_CACHE_HOME/ipcscope" "$PWD/empty"
row() { # MECH IMPL DEMO P50 P99 [MBPS]
    printf '{"mechanism":"%s","impl":"%s","demo":"%s","rtt_p50_ns":%s,"rtt_p99_ns":%s%s},\n' \
        "$1" "$2" "$3" "$4" "$5" "${6:+,\"mbps\":$6}"
}
{
    printf '{"date":"2026-01-02T03:04:05Z","mode":"quick","n":2000,"rounds":1,"bytes_one_way":67108864,'
    printf '"machine":{"cores":2,"kernel":"6.1.0-test","cpu":"Test CPU"},'
    printf '"versions":{"node":"v20.0.0","redis":"7.0.15","libuv":"1.44.2"},"rows":[\n'
    row pipe c stdio-pipe 23500 73500 1687.5
    row fork-channel c fork-ipc 31600 69900
    row unix-socket c unix-socket 27600 60500 4847.1
    row tcp c tcp 19100 52900 2724.7
    row udp c udp 24600 53400 1149.2
    row pipe node stdio-pipe 54700 1314000 480.7
    row fork-channel node fork-ipc 40900 408800
    row unix-socket node unix-socket 43500 399300 468
    row tcp node tcp 39700 1321900 480.3
    row udp node udp 41700 362800 276.2
    row posix-mq c message-queue 20900 45700
    row redis-pubsub c message-queue 116000 171500
    row redis-pubsub node message-queue 191800 3616800
    row shm-spin c shared-memory 580 730
    row shm-futex c shared-memory 20200 46700
    printf '{"mechanism":"posix-mq","impl":"node","demo":"message-queue","not_measured":"node has no POSIX message queue API"}\n'
    printf '],"claims":[]}\n'
} >"$XDG_CACHE_HOME/ipcscope/compare.json"
if command -v jq >/dev/null && ! jq -e '.rows | length == 16' "$XDG_CACHE_HOME/ipcscope/compare.json" >/dev/null; then
    fail "compare_guide: the fixture is not the JSON it means to be"
    exit 0
fi

SOCK="ipcscope-guide-$$"
T() { tmux -L "$SOCK" "$@"; }
trap 'tmux -L "$SOCK" kill-server 2>/dev/null' EXIT
T new-session -d -s keep -x 80 -y 24 "sleep 3600"
screen() { T capture-pane -p -t "$1"; }
wait_screen() { # SESSION REGEX: polls the screen until it matches (at most 30 s)
    _n=300
    while [ $_n -gt 0 ]; do
        screen "$1" | grep -Eq -- "$2" && return 0
        sleep 0.1; _n=$((_n - 1))
    done
    echo "--- screen of $1 while waiting for: $2"; screen "$1"; return 1
}
gone() { # SESSION REGEX: polls until the screen no longer matches
    _n=300
    while [ $_n -gt 0 ]; do
        screen "$1" | grep -Eq -- "$2" || return 0
        sleep 0.1; _n=$((_n - 1))
    done
    echo "--- screen of $1 still showing: $2"; screen "$1"; return 1
}
keys() { # SESSION KEY...: one at a time, each after the screen took the last
    _s=$1; shift
    for _k in "$@"; do T send-keys -t "$_s" "$_k"; sleep 0.05; done
}
start() { # SESSION W H TERM [ENV...]: ipcscope compare; the shell stays to show how it ended
    _s=$1 _w=$2 _h=$3 _t=$4; shift 4
    T new-session -d -s "$_s" -x "$_w" -y "$_h" -e LANG=C.UTF-8 -e XDG_CACHE_HOME="$XDG_CACHE_HOME" \
        -e IPCSCOPE_QUIZ_ORDER="${QUIZ_ORDER:-0}" "$@" \
        "env TERM=$_t $IPCSCOPE compare; echo IPCSCOPE-EXIT-\$?; exec sh"
}
quit() { # SESSION: q until the shell says how ipcscope ended
    for _i in 1 2 3 4; do
        screen "$1" | grep -q 'IPCSCOPE-EXIT-' && break
        T send-keys -t "$1" q; sleep 0.3
    done
    check "$2: q quits with status 0" wait_screen "$1" 'IPCSCOPE-EXIT-0'
    T kill-session -t "$1"
}

# Every path of answers, and the demo it ends on (the tree of compare_guide.c).
PATHS='y y:message-queue
y n 1:tcp
y n 2:http
y n 3:udp
n y:message-queue
n n 1:shared-memory
n n 2 1 1:stdio-pipe
n n 2 1 2:fork-ipc
n n 2 1 3:worker-pool
n n 2 2:unix-socket
n n 2 3:cluster
n n 3:patterns
n n 4:fs-watch'

# ---- 1. the guide, every path, both languages ------------------------------------
s=guide
start "$s" 80 24 xterm-256color
check "guide: the compare screen shows the cached document, g and p in its status bar" \
    wait_screen "$s" 'CACHED'
check "guide: g and p named in the status bar at 80x24" wait_screen "$s" 'g guide +p quiz'
keys "$s" g
check "guide: g asks 000's first question" wait_screen "$s" 'Do the processes run on different machines\?'
check "guide: 000's order of questions above it, in the article's name" \
    wait_screen "$s" 'Six ways processes talk in Node.js.*across machines\? → decoupling\? → latency\?'
check "guide: y/n to answer, in the status bar" wait_screen "$s" '^y n answer +b back +r start again'
reached=""
for lang in en zh; do
    bad=""
    if [ $lang = zh ]; then
        keys "$s" L r
        check "guide zh: the question in Chinese, 000's words" wait_screen "$s" '是否跨机？'
        check "guide zh: 000's order as the article says it" \
            wait_screen "$s" '《Node.js 进程间通信的六种方式》：是否跨机 → 是否需要解耦 → 对延迟的要求'
        see='看演示：ipcscope open'
    else
        see='See it: ipcscope open'
    fi
    printf '%s\n' "$PATHS" >paths.txt
    while IFS=: read -r answers demo; do
        keys "$s" r
        wait_screen "$s" "$([ $lang = zh ] && echo '问题 1' || echo 'QUESTION 1')" >/dev/null
        # shellcheck disable=SC2086
        keys "$s" $answers
        if wait_screen "$s" "$see $demo " >/dev/null; then
            reached="$reached $demo"
        else
            bad="$bad [$answers]->$demo"
        fi
    done <paths.txt
    check "guide $lang: every path of answers ends on its demo${bad:+ (wrong:$bad)}" [ -z "$bad" ]
done
"$IPCSCOPE" list | awk '{print $1}' >demos.txt
missing=""
while read -r d; do
    case " $reached " in *" $d "*) ;; *) missing="$missing $d" ;; esac
done <demos.txt
check "guide: every demo of the lab is reached by some path${missing:+ (not reached:$missing)}" [ -z "$missing" ]

# One answer looked at closely, in Chinese then English: the article's words,
# the document's figures, the rows to hold them against.
keys "$s" r n n 2 1 2
check "guide zh: the article's own line for fork" wait_screen "$s" '“适用场景：父子进程一对一通信，简单任务分发。”'
check "guide zh: 001's scenario table" wait_screen "$s" 'CPU 密集任务分发 → child_process.fork\(\)'
check "guide zh: the fork channel's figures from the document" wait_screen "$s" 'fork 通道，C +31\.6 +69\.9'
keys "$s" L
check "guide: the answers so far, recalled" wait_screen "$s" 'Your answers: one machine · direct · tens of µs'
check "guide: the fork channel's figures, C and node" wait_screen "$s" 'fork channel, node +40\.9 +409 '
check "guide: TCP beside it, to hold them against" wait_screen "$s" 'TCP loopback, C +19\.1 +52\.9 +2725'
keys "$s" b
check "guide: b goes back one question" wait_screen "$s" 'What is the child\?'
keys "$s" r y n 2
check "guide: a mechanism the document lacks says so" \
    wait_screen "$s" 'the compare run does not measure it yet; its demo does'
keys "$s" r n n 1
check "guide: shared memory, both rows" wait_screen "$s" 'shm spinning, C +0\.58 +0\.73'
check "guide: a side not measured says why" \
    sh -c "tmux -L $SOCK send-keys -t $s r n y; sleep 0.5; tmux -L $SOCK capture-pane -p -t $s | grep -Eq 'POSIX mq, node +not measured: node has no'"
keys "$s" q
check "guide: q goes back to the table" wait_screen "$s" 'CACHED'
# Enter opens the demo; its q comes back to the menu
keys "$s" g n n 2 1 2
wait_screen "$s" 'See it: ipcscope open fork-ipc' >/dev/null
keys "$s" Enter
check "guide: Enter opens the demo it points to" wait_screen "$s" 'ipcscope: fork-ipc .*(RUNNING|ENDED)'
keys "$s" q
check "guide: q from the demo comes back to the menu" wait_screen "$s" 'Mechanisms'
quit "$s" "guide"

# ---- 2. the quiz ---------------------------------------------------------------------
s=quiz
start "$s" 80 24 xterm-256color
wait_screen "$s" 'CACHED' >/dev/null
keys "$s" p
check "quiz: p asks the first question, drawn from the document" \
    wait_screen "$s" 'Question 1 of 8 · which is faster'
check "quiz: Unix socket or TCP loopback, with 001's stars" \
    wait_screen "$s" 'IPC methods in Node.js says: UDS ★★★★★'
check "quiz: no figure before the prediction" sh -c "! tmux -L $SOCK capture-pane -p -t $s | grep -Eq 'Measured here|27\.6|19\.1'"
rights=0
answer() { # KEY: answers, waits for the measured answer, counts a right one
    keys "$s" "$1"
    wait_screen "$s" '(Right\.|Not this time\.)' >/dev/null || return 1
    screen "$s" | grep -q '✓ Right\.' && rights=$((rights + 1))
    return 0
}
answer 1
check "quiz: the prediction and the measurement side by side" \
    sh -c "tmux -L $SOCK capture-pane -p -t $s | grep -q '1  Unix socket .*← your prediction' &&
           tmux -L $SOCK capture-pane -p -t $s | grep -q '2  TCP loopback .*← what was measured'"
check "quiz: the measured answer, from the document" \
    wait_screen "$s" 'Measured here \(C, p50\): Unix socket 27\.6 µs, TCP loopback 19\.1 µs: TCP'
check "quiz: the score after one wrong prediction" wait_screen "$s" 'Score: 0 of 1 · this session: 0 of 1'
check "quiz: the demo that shows it" wait_screen "$s" 'See it: ipcscope open unix-socket'
keys "$s" Enter
check "quiz: Enter, the next question: how many microseconds" \
    wait_screen "$s" 'Question 2 of 8 · how many microseconds'
answer 1
check "quiz: shared memory spinning under 10 µs, as measured" \
    wait_screen "$s" 'Measured here \(C\): p50 0\.58 µs, p99 0\.73 µs'
check "quiz: a right prediction counted" wait_screen "$s" 'Score: 1 of 2'
keys "$s" Enter
check "quiz: will a datagram arrive" wait_screen "$s" 'Question 3 of 8 · will it arrive'
answer y
check "quiz: the 65507-byte datagram sent on loopback, and what came" \
    wait_screen "$s" 'Sent just now: sendto\(\) took 65507 bytes and recv\(\) got all 65507'
keys "$s" Enter
wait_screen "$s" 'Question 4 of 8' >/dev/null
answer 3
check "quiz: within 10% is about the same (node's fork channel and TCP)" \
    wait_screen "$s" 'within 10%: about the same'
next_answer() { # KEY: Enter, the next question, answered
    keys "$s" Enter
    gone "$s" '(Right\.|Not this time\.)' >/dev/null
    answer "$1"
}
next_answer 3
check "quiz: Redis pub/sub, 100 µs or more" wait_screen "$s" 'Measured here \(C\): p50 116 µs'
next_answer 1
next_answer n
check "quiz: a 70000-byte datagram does not fit (EMSGSIZE), the screen says so" \
    wait_screen "$s" 'sendto\(\) failed with EMSGSIZE'
next_answer 2
check "quiz: the last question answered" wait_screen "$s" 'Score: [0-9] of 8'
keys "$s" Enter
check "quiz: the end of the round, the score counted right ($rights of 8)" \
    wait_screen "$s" "Your score: $rights of 8 · this session: $rights of 8"
check "quiz: each question's measured answer in the summary" \
    wait_screen "$s" '1\. Unix socket or TCP loopback \(C\)\? TCP loopback; you said Unix socket'
keys "$s" L
check "quiz zh: the score in Chinese" wait_screen "$s" "得分：$rights / 8"
keys "$s" r
check "quiz zh: r, another round" wait_screen "$s" '第 1 题，共 8 题 · 哪个更快'
check "quiz zh: the question in Chinese" wait_screen "$s" 'Unix 套接字和 TCP 回环哪个更快（C，中位数）？'
keys "$s" 2
check "quiz zh: the measured answer in Chinese" \
    wait_screen "$s" '本机实测（C，p50）：Unix 套接字 27\.6 µs，TCP 回环 19\.1 µs'
check "quiz zh: the round starts again, the session goes on" \
    wait_screen "$s" "得分：1 / 1 · 本次会话：$((rights + 1)) / 9"
keys "$s" L q
check "quiz: q goes back to the table" wait_screen "$s" 'CACHED'
quit "$s" "quiz"

# The order of a round: with a key, each round another order; the same
# key, the same orders.
order() { # SESSION: answers a round with 1 and prints its questions in order
    for _i in 1 2 3 4 5 6 7 8; do
        keys "$1" 1
        wait_screen "$1" '(Right\.|Not this time\.)' >/dev/null || return 1
        keys "$1" Enter
        [ $_i -lt 8 ] && { gone "$1" '(Right\.|Not this time\.)' >/dev/null || return 1; }
    done
    wait_screen "$1" 'Your score: [0-9] of 8' >/dev/null || return 1
    screen "$1" | sed -n 's/^ *[✓✗] *[0-9]\. \([^?]*?\).*/\1/p'
}
s=order
QUIZ_ORDER=7 start "$s" 80 24 xterm-256color
wait_screen "$s" 'CACHED' >/dev/null
keys "$s" p
order "$s" >round1.txt
keys "$s" r
wait_screen "$s" 'Question 1 of 8' >/dev/null
order "$s" >round2.txt
check "quiz order: a round asks all eight ($(wc -l <round1.txt) seen)" [ "$(sort -u round1.txt | wc -l)" -eq 8 ]
sort round1.txt >sorted1.txt
sort round2.txt >sorted2.txt
check "quiz order: the next round (r) asks the same eight" cmp -s sorted1.txt sorted2.txt
check "quiz order: in another order" sh -c '! cmp -s round1.txt round2.txt'
check "quiz order: the session's score counts both rounds" wait_screen "$s" 'this session: [0-9]+ of 16 \(2 rounds\)'
quit "$s" "quiz order"
QUIZ_ORDER=7 start "$s" 80 24 xterm-256color
wait_screen "$s" 'CACHED' >/dev/null
keys "$s" p
order "$s" >again.txt
check "quiz order: the same key, the same first round" cmp -s round1.txt again.txt
quit "$s" "quiz order again"
s=order0
start "$s" 80 24 xterm-256color
wait_screen "$s" 'CACHED' >/dev/null
keys "$s" p
order "$s" >list1.txt
keys "$s" r
wait_screen "$s" 'Question 1 of 8' >/dev/null
order "$s" >list2.txt
check "quiz order: key 0 asks in the list's order, every round" \
    sh -c 'cmp -s list1.txt list2.txt && head -n 1 list1.txt | grep -q "Unix socket or TCP loopback"'
quit "$s" "quiz order 0"

# ---- 3. no document ---------------------------------------------------------------------
s=none
T new-session -d -s "$s" -x 80 -y 24 -e LANG=C.UTF-8 -e XDG_CACHE_HOME="$PWD/empty" \
    -e IPCSCOPE_COMPARE="$PWD/no-such-script.sh" \
    "env TERM=xterm-256color $IPCSCOPE compare; echo IPCSCOPE-EXIT-\$?; exec sh"
check "no document: the screen has no data (and cannot measure here)" wait_screen "$s" 'NO DATA'
keys "$s" p
check "no document: the quiz says to measure first" \
    wait_screen "$s" 'No compare figures yet: measure first \(m\)'
keys "$s" L
check "no document: in Chinese too" wait_screen "$s" '还没有对比数据：先测量（m）'
keys "$s" L q g y y
check "no document: the guide still answers, and says m measures" \
    wait_screen "$s" 'not measured yet: m measures'
check "no document: and names the demo" wait_screen "$s" 'See it: ipcscope open message-queue'
quit "$s" "no document"

# ---- 4. 160x40, and no colours ---------------------------------------------------------------
s=wide
start "$s" 160 40 xterm-256color
wait_screen "$s" 'CACHED' >/dev/null
keys "$s" g n n 2 3
check "160x40: the guide's answer, 000's sentence whole" \
    wait_screen "$s" 'Six ways processes talk in Node.js, when choosing, first: across machines\?'
check "160x40: the cluster's answer with the fork channel beside it" \
    wait_screen "$s" 'fork channel, C +31\.6 +69\.9'
keys "$s" q p 1
check "160x40: the quiz's answer" wait_screen "$s" 'Measured here \(C, p50\): Unix socket 27\.6 µs, TCP loopback 19\.1 µs: TCP loopback is faster'
quit "$s" "160x40"
s=mono
start "$s" 80 24 xterm-mono
wait_screen "$s" 'CACHED' >/dev/null
keys "$s" g y n 3
check "xterm-mono: the guide's answer draws" wait_screen "$s" 'UDP loopback, C +24\.6 +53\.4 +1149'
keys "$s" q p 1
check "xterm-mono: the prediction named in words, not colour alone" wait_screen "$s" '← your prediction'
quit "$s" "xterm-mono"

# ---- nothing left -----------------------------------------------------------------------------
left=$(pgrep -f "ipcscope-compare\.|bench_sock|bench_pipe|build/demos/fork-ipc" -u "$(id -u)" | while read -r p; do
    { tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null | grep -qx "XDG_CACHE_HOME=$XDG_CACHE_HOME" && echo "$p"
done)
check "compare_guide: no demo or bench left${left:+ (left: $left)}" [ -z "$left" ]
check "compare_guide: the cached document is the test's, untouched" \
    grep -q '"date":"2026-01-02T03:04:05Z"' "$XDG_CACHE_HOME/ipcscope/compare.json"
