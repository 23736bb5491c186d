# message-queue run headless (--json) and checked on its events: the
# private redis-server (a Unix socket, no TCP port, a lane of its own),
# article 000/001/004's SUBSCRIBE and PUBLISH with PUBLISH's counts, the
# race of fresh connections and its fix, a killed subscriber that misses
# what is published meanwhile, the timed round trips; redis-cli as a real
# peer on the private socket; --redis to a server that is not there; then
# SIGTERM and SIGKILL of the publisher: no redis-server and no directory left.
. "$TOP/tests/lib.sh"
DEMO="$DEMOS/message-queue"
export IPCSCOPE_MSG_RATE=0
command -v redis-server >/dev/null || { skip "redis-server is not installed (mk/deps.sh)"; exit 0; }

fig() { events "$1" bye | jq -r ".summary$2"; }
server() { jq -r 'select(.ev=="proc" and .role=="redis-server" and .state=="start") | .proc' "$1" 2>/dev/null | head -n 1; }
no_dir() { ! ls -d "${XDG_RUNTIME_DIR:-$TMPDIR}"/ipcscope-redis.* "$TMPDIR"/ipcscope-redis.* 2>/dev/null | grep -q .; }

timeout 120 "$DEMO" --json --count 20 >r.json 2>r.err
rc=$?; [ $rc -eq 0 ] && pass "default run: exit 0" || { fail "default run: exit $rc"; cat r.err; field r.json error reason; }
steps=$(field r.json step n | tr '\n' ' ')
last=$(field r.json step n | tail -n 1)
[ "$steps" = "$(seq -s ' ' 1 "$last") " ] && [ "$last" -ge 6 ] \
    && field r.json step title '.n == '"$last" | grep -q '^round trips' \
    && pass "steps 1 to $last, the round trips last" || fail "steps were '$steps'"
# refusals the lesson shows on purpose (message_queue_streams.sh checks them)
! has_event r.json error '.what != "refused" and .what != "dead-letter" and .what != "cut off"' \
    && pass "no error event but the lesson's refusals" || { fail "errors:"; field r.json error reason; }
p1=$(field r.json hello pid); rs=$(server r.json)
[ -n "$rs" ] && has_event r.json log '.text | test("answers PING on .*/redis.sock: --port 0")' \
    && pass "step 1: redis-server $rs started, answers PING on a Unix socket, no TCP port" || fail "step 1"
has_event r.json proc ".state == \"exit\" and .proc == $rs and .code == 0" && pass "redis-server stopped, exit 0" \
    || fail "redis-server's exit"

# step 2: publisher -> redis-server -> subscriber
sub=$(jq -r 'select(.ev=="proc" and .role=="subscriber" and .state=="start") | .proc' r.json | head -n 1)
has_event r.json msg ".pid == $p1 and .to == $rs and .dir == \"send\" and .summary == \"hello\"" \
    && has_event r.json msg ".pid == $sub and .from == $rs and .dir == \"recv\" and .summary == \"hello\"" \
    && pass "PUBLISH channel hello: publisher -> redis-server -> subscriber" || fail "hello's two arrows"
has_event r.json log '.text == "Received message: This is a cross-process message from channel: my-channel"' \
    && pass "article 004: Received message: This is a cross-process message from channel: my-channel" \
    || fail "no article 004 line"
has_event r.json log '.text == "PUBLISH channel -> (integer) 1: that many subscribers got it"' \
    && pass "PUBLISH's reply narrated: 1 subscriber" || fail "PUBLISH's reply"

# step 3: the race, then its fix
t=$(fig r.json .race.tries) z=$(fig r.json .race.reached_none)
[ "$t" = 5 ] && [ "$z" -ge 0 ] && [ "$(fig r.json .race.fixed)" = 1 ] \
    && pass "race: $z of $t back-to-back PUBLISHes said 0; after the confirmation, 1" || fail "race: $t $z"
[ "$(json_count r.json log '.text | test("^try [0-9]: PUBLISH -> \\(integer\\) [01]")')" = 5 ] \
    && pass "each try's PUBLISH reply narrated" || fail "tries narrated"

# step 4: the subscriber killed misses what is published meanwhile
[ "$(fig r.json .down.published)" = 3 ] && [ "$(fig r.json .down.reached_none)" = 3 ] \
    && [ "$(fig r.json .down.after_restart)" = 1 ] \
    && pass "subscriber down: 3 published, 3 reached nobody; after its restart, 1" || fail "down: $(fig r.json .down)"
has_event r.json proc ".state == \"exit\" and .proc == $sub and .signal == \"SIGKILL\"" \
    && pass "the subscriber was SIGKILLed" || fail "no SIGKILL"
! has_event r.json log '.text | test("Received message: while you were down")' \
    && pass "nothing published while it was down arrives" || fail "a lost message arrived"

# step 5: the work queue; the killed worker's task recovered and done
[ "$(fig r.json .queue.tasks)" = 3 ] && [ "$(fig r.json .queue.recovered)" = 1 ] \
    && pass "work queue: 3 tasks, 1 recovered from a killed worker" || fail "queue: $(fig r.json .queue)"
has_event r.json proc '.role == "worker" and .state == "exit" and .signal == "SIGKILL"' \
    && has_event r.json log '.text | test("^LMOVE ipcscope:[0-9]+:processing ipcscope:[0-9]+:tasks RIGHT RIGHT")' \
    && pass "a worker SIGKILLed mid-task; LMOVE puts its task back" || fail "no kill and LMOVE"
for n in 1 2 3; do
    [ "$(json_count r.json log ".text | test(\"^done task $n: LREM\")")" = 1 ] || fail "task $n not done exactly once"
done
pass "each task done exactly once (LREM)"

# step 6: round trips
[ "$(fig r.json .round_trips)" = 20 ] && [ "$(fig r.json .pongs)" = 20 ] && [ "$(fig r.json .missed)" = 0 ] \
    && pass "20 pings, 20 timed round trips, 0 missed" || fail "round trips: $(fig r.json .round_trips)"
no_dir && pass "no private directory left" || fail "a directory left"

# --fault kill: the subscriber killed mid-run; the pings meanwhile are counted
timeout 120 "$DEMO" --json --count 40 --rate 20 --fault kill >f.json 2>f.err
rc=$?; m=$(fig f.json .missed) p=$(fig f.json .pongs)
[ $rc -eq 0 ] && [ "$m" -gt 0 ] && [ $((m + p)) -ge 40 ] \
    && pass "--fault kill: $m ping(s) reached no subscriber, $p answered, 40 in all" || fail "--fault kill: exit $rc, missed $m, pongs $p"

# redis-cli as a real peer on the private socket
if command -v redis-cli >/dev/null; then
    "$DEMO" --json --count 1000000 --rate 10 >c.json 2>c.err &
    demo=$!
    if wait_event c.json msg '.lat > 0' 600; then
        sock=$(jq -r 'select(.ev=="log") | .text | capture("answers PING on (?<s>[^:]*redis.sock)").s // empty' c.json | head -n 1)
        n=$(redis-cli -s "$sock" PUBLISH my-channel "from redis-cli")
        [ "$n" = 1 ] && pass "redis-cli -s $sock PUBLISH my-channel: 1 subscriber" || fail "redis-cli PUBLISH said '$n'"
        wait_event c.json log '.text == "Received message: from redis-cli from channel: my-channel"' 100 \
            && pass "the subscriber prints redis-cli's message" || fail "redis-cli's message not received"
        ch="ipcscope:$(field c.json hello pid):ping"
        got=$(timeout 5 redis-cli -s "$sock" SUBSCRIBE "$ch" 2>/dev/null | head -n 6 | tail -n 1)
        echo "$got" | grep -q '^ping ' && pass "redis-cli SUBSCRIBE $ch sees the demo's pings ($got)" || fail "redis-cli SUBSCRIBE got '$got'"
    else
        fail "no round trip in c.json"
    fi
    kill -TERM $demo
    wait_bounded $demo 60; rc=$?
    [ $rc -eq 0 ] && has_event c.json bye && pass "SIGTERM: a summary, exit 0" || fail "SIGTERM: exit $rc"
    rs=$(server c.json)
    wait_gone "$rs" && no_dir && pass "SIGTERM: redis-server and its directory gone" || fail "SIGTERM: left $rs"
else
    skip "redis-cli is not installed"
fi

# SIGKILL of the publisher: redis-server and the subscriber go with it
# (PR_SET_PDEATHSIG); the directory is swept by the next run
"$DEMO" --json --count 1000000 --rate 10 >k.json 2>k.err &
demo=$!
if wait_event k.json msg '.lat > 0' 600; then
    rs=$(server k.json); sub=$(jq -r 'select(.ev=="proc" and .role=="subscriber" and .state=="start") | .proc' k.json | tail -n 1)
    kill -KILL $demo; wait $demo 2>/dev/null
    wait_gone "$rs" && wait_gone "$sub" && pass "SIGKILL: redis-server and the subscriber go too" \
        || { fail "SIGKILL: left $rs $sub"; kill -9 "$rs" "$sub" 2>/dev/null; }
    timeout 60 "$DEMO" --json --count 1 >n.json 2>n.err
    no_dir && pass "SIGKILL: the next run sweeps the directory" || fail "SIGKILL: a directory left"
else
    fail "no round trip in k.json"; kill -9 $demo
fi

# --redis to a server that is not there: a clear error naming the URL
timeout 60 "$DEMO" --json --redis redis://127.0.0.1:1 >e.json 2>e.err; rc=$?
[ $rc -ne 0 ] && has_event e.json error '.reason | test("redis://127.0.0.1:1")' \
    && pass "--redis redis://127.0.0.1:1: an error naming the URL, exit $rc" || fail "--redis to nothing: exit $rc"
"$DEMO" --describe | jq -e '.name == "message-queue"' >/dev/null && pass "--describe is JSON with its name" \
    || fail "--describe"

# quit from the dashboard's control fd, in step mode, mid-lesson (step 4
# waits): the subscriber, redis-server and the directory all go
mkfifo ctl
exec 6<>ctl
IPCSCOPE_CONTROL_FD=5 "$DEMO" --json --step 5<ctl >q.json 2>q.err &
demo=$!
wait_event q.json step '.n == 1 and .waiting == true' && pass "--step: step 1 waits" || fail "step 1 not waiting"
for i in 1 2 3; do echo '{"cmd":"step"}' >&6; done
wait_event q.json step '.n == 4 and .waiting == true' 600 && pass "--step: three steps on, step 4 waits" || fail "no step 4"
rs=$(server q.json)
echo '{"cmd":"quit"}' >&6
wait_bounded $demo 60; rc=$?
[ $rc -eq 0 ] && has_event q.json bye && pass "quit mid-lesson: a summary, exit 0" || fail "quit: exit $rc"
wait_gone "$rs" && no_dir && pass "quit: redis-server and its directory gone" || fail "quit: left $rs"
exec 6>&-
rm -f ctl

# --redis unix:PATH: a server of our own making, not the demo's; its lane
# is the peer "redis-server", and it is still there after the run
mkdir -m 700 own
redis-server --port 0 --unixsocket "$PWD/own/r.sock" --unixsocketperm 700 --dir "$PWD/own" \
    --save '' --appendonly no >/dev/null 2>&1 &
own=$!
i=0; while [ ! -S own/r.sock ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
timeout 120 "$DEMO" --json --count 5 --redis "unix:$PWD/own/r.sock" >o.json 2>o.err; rc=$?
[ $rc -eq 0 ] && [ "$(fig o.json .round_trips)" = 5 ] && ! has_event o.json proc '.role == "redis-server"' \
    && has_event o.json msg '.to == "redis-server" and .summary == "hello"' \
    && pass "--redis unix:PATH: an existing server, 5 round trips, the peer lane \"redis-server\"" \
    || fail "--redis unix:PATH: exit $rc"
kill -0 $own 2>/dev/null && pass "--redis: the server is not ours to stop, and still runs" || fail "--redis: the server is gone"
kill $own; wait $own 2>/dev/null
rm -rf own

# redis-server SIGKILLed mid-run: the run ends with an error that says so,
# exit 1, and nothing is left (reconnecting with backoff is yet to come)
"$DEMO" --json --count 1000000 --rate 10 >b.json 2>b.err &
demo=$!
if wait_event b.json msg '.lat > 0' 600; then
    rs=$(server b.json)
    kill -KILL "$rs"
    wait_bounded $demo 60; rc=$?
    [ $rc -eq 1 ] && has_event b.json error '.what == "redis-server" and (.reason | test("exited under us"))' \
        && has_event b.json bye && pass "redis-server killed: an error, a summary, exit 1" || fail "broker killed: exit $rc"
    no_dir && pass "redis-server killed: no directory left" || fail "broker killed: a directory left"
else
    fail "no round trip in b.json"; kill -9 $demo
fi
