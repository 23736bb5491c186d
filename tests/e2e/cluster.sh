# cluster run headless (--json) and checked on its events: the article's
# timeline (five messages, in order, with their shapes), node's own cluster
# messages, one shared port in both policies with requests spread over the
# workers, a rolling restart under load that loses no request, a killed and a
# stopped worker replaced; node workers under the C master. Every run must
# leave no process behind.
. "$TOP/tests/lib.sh"
DEMO="$DEMOS/cluster"
export IPCSCOPE_MSG_RATE=0 # every msg event

# The master's own message events on a worker's channel.
sent() { echo ".pid == $1 and .dir == \"send\" and .chan == \"worker $2\" and (.summary | contains($3))"; }
recd() { echo ".pid == $1 and .dir == \"recv\" and .chan == \"worker $2\" and (.summary | contains($3))"; }
first_t() { field "$1" msg t "$2" | head -1; }

check_timeline() { # LABEL FILE
    label=$1 f=$2
    m=$(field "$f" hello pid)
    steps=$(field "$f" step n | tr '\n' ' ')
    [ "$steps" = "1 2 3 4 5 6 7 8 9 10 11 " ] && pass "$label: all eleven steps" \
        || fail "$label: steps were '$steps'"
    for w in 1 2; do
        has_event "$f" msg "$(recd "$m" $w '"\"cmd\":\"NODE_CLUSTER\",\"act\":\"online\""')" \
            || { fail "$label: no online from worker $w"; return; }
    done
    pass "$label: each worker said {cmd:'NODE_CLUSTER', act:'online'} (node's own)"
    t1=$(first_t "$f" "$(recd "$m" 1 '"{\"type\":\"worker-ready\",\"id\":1,\"msg\":\"Worker is ready!\"}"')")
    t1b=$(first_t "$f" "$(recd "$m" 2 '"{\"type\":\"worker-ready\",\"id\":2,\"msg\":\"Worker is ready!\"}"')")
    t2=$(first_t "$f" "$(sent "$m" 1 '"{\"from\":\"master\",\"data\":\"Hello workers!\"}"')")
    t2b=$(first_t "$f" "$(sent "$m" 2 '"{\"from\":\"master\",\"data\":\"Hello workers!\"}"')")
    t3=$(first_t "$f" "$(sent "$m" 1 '"{\"from\":\"master\",\"data\":\"Hello worker 1!\"}"')")
    t4=$(first_t "$f" "$(recd "$m" 1 '"{\"type\":\"send-to-other\",\"target\":2,\"data\":\"Hello from worker 1!\"}"')")
    t5=$(first_t "$f" "$(sent "$m" 2 '"{\"from\":1,\"data\":\"Hello from worker 1!\"}"')")
    if [ -n "$t1" ] && [ -n "$t1b" ] && [ -n "$t2" ] && [ -n "$t2b" ] && [ -n "$t3" ] && [ -n "$t4" ] \
        && [ -n "$t5" ] && [ "$t1" -lt "$t2" ] && [ "$t1b" -lt "$t2" ] && [ "$t2b" -lt "$t3" ] \
        && [ "$t3" -lt "$t4" ] && [ "$t4" -lt "$t5" ]; then
        pass "$label: worker-ready x2, broadcast x2, unicast to 1, send-to-other, relay to 2: in order, with the article's shapes"
    else
        fail "$label: the timeline: '$t1' '$t1b' '$t2' '$t2b' '$t3' '$t4' '$t5'"
    fi
    has_event "$f" msg "$(sent "$m" 1 '"Hello from worker 1!"')" \
        && fail "$label: the relay went to worker 1 too" || pass "$label: the relay reached worker 2 alone"
    has_event "$f" log '.text | startswith("Master received from worker 1: {\"type\":\"send-to-other\"")' \
        && pass "$label: the master logs each message as the article does" || fail "$label: no 'Master received' log"
}

check_port() { # LABEL FILE COUNT
    label=$1 f=$2 n=$3
    bye=$(events "$f" bye)
    ok=$(echo "$bye" | jq -r .summary.ok) failed=$(echo "$bye" | jq -r .summary.failed)
    w1=$(echo "$bye" | jq -r '.summary.by_worker["1"] // 0') w2=$(echo "$bye" | jq -r '.summary.by_worker["2"] // 0')
    [ "$ok" = "$n" ] && [ "$failed" = 0 ] && pass "$label: $ok of $n requests answered, none failed" \
        || fail "$label: $ok answered, $failed failed of $n"
    # The load outlasts the restart: the new workers served some of it.
    new=$(echo "$bye" | jq '[.summary.by_worker | to_entries[] | select((.key | tonumber) > 2) | .value] | add // 0')
    [ "$new" -gt 0 ] && pass "$label: the requests ran through the rolling restart ($new served by the new workers)" \
        || fail "$label: no request reached a new worker: $(echo "$bye" | jq -c .summary.by_worker)"
    [ "$w1" -gt 0 ] && [ "$w2" -gt 0 ] && pass "$label: workers 1 and 2 both served ($w1, $w2)" \
        || fail "$label: by worker: $(echo "$bye" | jq -c .summary.by_worker)"
    [ "$(echo "$bye" | jq -r .summary.workers_forked)" = 4 ] && pass "$label: 2 forked, 2 more in the restart" \
        || fail "$label: workers forked: $(echo "$bye" | jq -r .summary.workers_forked)"
    has_event "$f" log '.text | startswith("rolling restart done: 2 workers replaced")' \
        && pass "$label: the rolling restart finished" || fail "$label: no rolling restart"
    for pid in $(field "$f" proc pid '.state == "start"'); do
        wait_gone "$pid" || { fail "$label: process $pid left"; kill -9 "$pid"; }
    done
}

# C workers (this program --as-worker) under the C master.
timeout 120 "$DEMO" --json --count 1500 --rate 100 >c.json 2>c.err
rc=$?; [ $rc -eq 0 ] && pass "C workers: exit 0" || { fail "C workers: exit $rc"; tail c.err; }
check_timeline "C workers" c.json
has_event c.json log '.text == "Worker 2 received: {\"from\":1,\"data\":\"Hello from worker 1!\"}"' \
    && pass "C workers: worker 2 logs the relay as the article's worker does" || fail "C workers: no relay logged"
check_port "C workers, rr" c.json 1500

# curl and node's http.get against the port while the demo serves: the answer
# names the worker that served it, and in rr each worker serves in turn.
"$DEMO" --json --count 1000000000 --rate 0.2 >e.json 2>e.err &
demo=$!
if wait_event e.json step '.n == 8' 600; then
    port=$(field e.json log text | sed -n 's/^master: socket(), bind(127.0.0.1:\([0-9]*\)).*/\1/p' | head -1)
    for i in 1 2 3 4 5 6 7 8 9 10; do curl -s -m 10 "http://127.0.0.1:$port/"; done >curl.out
    # (the rolling restart may begin meanwhile: any worker may answer)
    n=$(grep -c '^worker [0-9]* (pid [0-9]*)$' curl.out)
    who=$(sed 's/ (pid.*//' curl.out | sort | uniq -c | tr -s ' ' | tr '\n' ',')
    [ "$n" -eq 10 ] && [ "$(sort -u curl.out | wc -l)" -ge 2 ] \
        && pass "curl: 10 answers through port $port, spread over the workers:$who" \
        || fail "curl: $(tr '\n' '|' <curl.out)"
    if command -v node >/dev/null; then
        got=$(timeout 20 node -e "require('http').get('http://127.0.0.1:$port/', r => {
            let b = ''; r.on('data', d => b += d); r.on('end', () => console.log(r.statusCode, b.trim())); })")
        echo "$got" | grep -Eq '^200 worker [0-9]+ \(pid [0-9]+\)$' && pass "node's http.get: $got" \
            || fail "node's http.get: '$got'"
    fi
else
    fail "the demo never reached step 8: $(tail -3 e.err)"
fi
kill -TERM $demo; wait_bounded $demo 30
for pid in $(field e.json proc pid '.state == "start"'); do
    wait_gone "$pid" || { fail "curl run: process $pid left"; kill -9 "$pid"; }
done

if command -v node >/dev/null; then
    timeout 120 "$DEMO" --json --worker node --count 1500 --rate 100 >n.json 2>n.err
    rc=$?; [ $rc -eq 0 ] && pass "node workers: exit 0" || { fail "node workers: exit $rc"; tail n.err; }
    check_timeline "node workers" n.json
    m=$(field n.json hello pid)
    has_event n.json msg ".pid == $m and .dir == \"send\" and (.summary | contains(\"\\\"act\\\":\\\"newconn\\\"\"))" \
        && pass "node workers, rr: the master hands connections over (newconn with a handle)" \
        || fail "node workers: no newconn"
    has_event n.json log '.text | startswith("worker 2 (node): Worker 2 received: { from: 1, data: '"'"'Hello from worker 1!'"'"' }")' \
        && pass "node workers: worker 2's own console.log, told as narration" || fail "node workers: no node console line"
    check_port "node workers, rr" n.json 1500

    timeout 120 "$DEMO" --json --worker node --sched none --count 1500 --rate 100 >s.json 2>s.err
    rc=$?; [ $rc -eq 0 ] && pass "sched none: exit 0" || { fail "sched none: exit $rc"; tail s.err; }
    m=$(field s.json hello pid)
    has_event s.json msg ".pid == $m and .dir == \"send\" and (.summary | contains(\"NODE_HANDLE\")) and (.summary | contains(\"\\\"errno\\\":0\"))" \
        && pass "sched none: the bound socket goes to each worker with the queryServer answer" \
        || fail "sched none: no socket passed"
    has_event s.json msg ".pid == $m and (.summary | contains(\"newconn\"))" \
        && fail "sched none: the master handed a connection over" || pass "sched none: the master accepts nothing"
    check_port "sched none" s.json 1500

    # A worker killed under load: the master sees it exit and forks another;
    # the port keeps answering (the request the dead worker held may fail).
    timeout 120 "$DEMO" --json --worker node --fault kill --count 300 --rate 100 >k.json 2>k.err
    rc=$?; [ $rc -eq 0 ] && pass "kill: exit 0" || { fail "kill: exit $rc"; tail k.err; }
    bye=$(events k.json bye)
    [ "$(echo "$bye" | jq -r .summary.replaced)" = 1 ] && has_event k.json log '.text | test("^worker 1 died \\(signal 9\\) unasked")' \
        && pass "kill: worker 1 died of SIGKILL and was forked again" || fail "kill: $(echo "$bye" | jq -c .summary)"
    ok=$(echo "$bye" | jq -r .summary.ok) failed=$(echo "$bye" | jq -r .summary.failed)
    [ $((ok + failed)) -eq 300 ] && [ "$failed" -le 1 ] && pass "kill: $ok answered, $failed failed (the one it held, if any)" \
        || fail "kill: $ok answered, $failed failed"

    # A stopped worker holds a connection and answers nothing: named after
    # 2 s of silence, killed, replaced.
    timeout 120 "$DEMO" --json --worker node --fault stop --count 500 --rate 100 >t.json 2>t.err
    rc=$?; [ $rc -eq 0 ] && pass "stop: exit 0" || { fail "stop: exit $rc"; tail t.err; }
    has_event t.json error '.what == "silent" and (.reason | startswith("worker 1 "))' \
        && pass "stop: the stopped worker 1 is named" || fail "stop: not named"
    ok=$(events t.json bye | jq -r .summary.ok) failed=$(events t.json bye | jq -r .summary.failed)
    [ $((ok + failed)) -eq 500 ] && [ "$failed" -le 1 ] \
        && pass "stop: $ok answered, $failed failed (the connection it held, if any)" \
        || fail "stop: $(events t.json bye | jq -c .summary)"
    for f in k.json t.json; do
        for pid in $(field "$f" proc pid '.state == "start"'); do
            wait_gone "$pid" || { fail "$f: process $pid left"; kill -9 "$pid"; }
        done
    done
else
    skip "node workers (no node)"
fi
