# message-queue's Streams and faults, run headless (--json) and checked on
# their events: a consumer group of two, the consumer killed before its XACK
# and its pending entry XAUTOCLAIMed by the other, a late reader of the whole
# history; an appendonly redis-server killed and restarted with the stream
# still there; an oversize message refused, a malformed entry in the
# dead-letter stream; a subscriber that stops reading cut off by
# client-output-buffer-limit; --fault broker: the clients reconnect with
# backoff and claim nothing published while it was down; --redis to a
# closed port; SIGKILL of the demo mid-step: no redis-server, consumer,
# socket or directory left.
. "$TOP/tests/lib.sh"
DEMO="$DEMOS/message-queue"
export IPCSCOPE_MSG_RATE=0
command -v redis-server >/dev/null || { skip "redis-server is not installed (mk/deps.sh)"; exit 0; }

fig() { events "$1" bye | jq -r ".summary$2"; }
procs() { jq -r "select(.ev==\"proc\" and .role==\"$2\" and .state==\"start\") | .proc" "$1" 2>/dev/null; }
no_dir() { ! ls -d "${XDG_RUNTIME_DIR:-$TMPDIR}"/ipcscope-redis* "$TMPDIR"/ipcscope-redis* 2>/dev/null | grep -q .; }
all_gone() { for p in "$@"; do wait_gone "$p" || return 1; done; }

timeout 180 "$DEMO" --json --count 3 >r.json 2>r.err
rc=$?; [ $rc -eq 0 ] && pass "default run: exit 0" || { fail "default run: exit $rc"; cat r.err; }
st=$(field r.json step n '.title | test("^Streams")')
[ -n "$st" ] && pass "the Streams step is step $st" || fail "no Streams step"

# the group: alice and bob; the one seen holding an entry is killed before its XACK
line=$(field r.json log text '.text | test("^XPENDING .* held by (alice|bob), idle [0-9]+ ms: kill\\(")' | head -n 1)
held=$(echo "$line" | sed -E 's/.* -> ([0-9]+-[0-9]+) held by ([a-z]+),.*/\1/')
who=$(echo "$line" | sed -E 's/.* held by ([a-z]+),.*/\1/')
other=alice; [ "$who" = alice ] && other=bob
[ -n "$held" ] && has_event r.json proc ".role == \"$who\" and .state == \"exit\" and .signal == \"SIGKILL\"" \
    && pass "XPENDING: $held held by $who, who is SIGKILLed before its XACK" || fail "no kill of a holding consumer: '$line'"
op=$(procs r.json "$other")
has_event r.json log ".pid == $op and (.text | test(\"^XAUTOCLAIM .* $other 1500 0-0 COUNT 1 .* -> $held \"))" \
    && has_event r.json log ".pid == $op and .text == \"XACK ipcscope:$(field r.json hello pid):stream workers $held -> (integer) 1: out of the pending list\"" \
    && pass "the pending entry $held is XAUTOCLAIMed by $other, and XACKed" || fail "no claim of $held by $other"
has_event r.json log '.text | test("still pending under [a-z]+, idle [0-9]+ ms, delivered 1 time")' \
    && pass "XPENDING shows it pending under the dead consumer, delivered once" || fail "no XPENDING of the dead one's entry"
[ "$(fig r.json .streams.entries)" = 4 ] && [ "$(fig r.json .streams.claimed)" = 1 ] \
    && has_event r.json log '.text | test("^XINFO GROUPS .* pending 0")' \
    && pass "4 entries, all acknowledged, 1 of them claimed from the dead consumer" || fail "streams: $(fig r.json .streams)"
[ "$(fig r.json .streams.late_read)" = 4 ] && has_event r.json log '.text | test("^XRANGE .* -> 4 entries")' \
    && pass "a late reader (a group made at 0) reads all 4 entries; XRANGE has them too" || fail "late reader: $(fig r.json .streams.late_read)"

# persistence: killed with SIGKILL, started again in the same directory
[ "$(fig r.json .persist.kept)" = 3 ] && [ "$(fig r.json .persist.pending_after_restart)" = 1 ] \
    && pass "appendonly server SIGKILLed and restarted: XLEN 3, the group's pending entry still there" \
    || fail "persistence: $(fig r.json .persist)"
aof=$(procs r.json redis-server | sed -n 2,3p | tr '\n' ' ')
[ "$(echo $aof | wc -w)" = 2 ] && has_event r.json proc ".role == \"redis-server\" and .state == \"exit\" and .signal == \"SIGKILL\"" \
    && pass "two lives of the appendonly redis-server ($aof), the first SIGKILLed" || fail "appendonly servers: '$aof'"

# bad input
has_event r.json error '.what == "refused" and (.reason | test("65537 bytes: over the demo.s bound of 65536"))' \
    && has_event r.json log '.text | test("of 65536 bytes: within the bound")' \
    && pass "65536 bytes sent, 65537 refused before sending, with the bound in the reason" || fail "oversize"
has_event r.json error '.what == "dead-letter" and (.reason | test("no \"task\" field.*XADD ipcscope:[0-9]+:input:dead .*then XACK"))' \
    && [ "$(fig r.json .badinput.dead_letters)" = 1 ] \
    && pass "the malformed entry skipped: 1 entry in the dead-letter stream, XACKed" || fail "dead letter: $(fig r.json .badinput)"

# the slow subscriber
[ "$(fig r.json .slow.cut)" = true ] && [ "$(fig r.json .slow.limit)" = 65536 ] \
    && has_event r.json error '.what == "cut off" and (.reason | test("client-output-buffer-limit pubsub 65536 0 0"))' \
    && pass "a subscriber that stops reading is cut off at 65536 bytes ($(fig r.json .slow.read) of $(fig r.json .slow.published) read, then EOF)" \
    || fail "slow subscriber: $(fig r.json .slow)"
has_event r.json log '.text | test("^--fault broker kills")' && ! has_event r.json log '.text | test("^kill.*the broker dies")' \
    && pass "without --fault broker the broker is left alone" || fail "broker step without the fault"
[ "$(fig r.json .round_trips)" = 3 ] && pass "then the round trips: 3" || fail "round trips: $(fig r.json .round_trips)"
no_dir && pass "no private directory left" || fail "a directory left"

# --fault broker: killed mid-run, the clients reconnect with backoff
timeout 180 "$DEMO" --json --count 1 --fault broker >b.json 2>b.err; rc=$?
a=$(fig b.json .broker_fault.attempts) u=$(fig b.json .broker_fault.unsent)
d=$(fig b.json .broker_fault.delivered) g=$(fig b.json .broker_fault.received)
[ $rc -eq 0 ] && [ "$a" -ge 1 ] && [ "$u" -ge 1 ] && [ "$d" = "$g" ] && [ "$d" -ge 10 ] \
    && pass "--fault broker: $a reconnect attempts, $u ticks not published while down, $d delivered = $g received" \
    || fail "--fault broker: exit $rc, $(fig b.json .broker_fault)"
has_event b.json log '.text | test("^kill\\([0-9]+, SIGKILL\\): the broker dies mid-run")' \
    && has_event b.json log '.text | test("^reconnect attempt 1: connect\\(.*redis.sock\\): .*; next in 100 ms")' \
    && has_event b.json log '.text | test("^reconnect attempt 2: .*next in 200 ms")' \
    && has_event b.json log '.text | test("^reconnected after [0-9]+ attempt\\(s\\)")' \
    && pass "the kill, attempts narrated with a doubling backoff, then reconnected" || fail "reconnect narration"
has_event b.json log '.text | test("^tick [0-9]+: not published, no connection")' \
    && pass "a tick while the broker is down is said not published" || fail "no unsent tick narrated"
for p in $(procs b.json redis-server); do wait_gone "$p" || fail "redis-server $p left"; done
no_dir && pass "--fault broker: every redis-server and directory gone" || fail "--fault broker: a directory left"

# --redis to a closed port: a clear error naming the URL
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
timeout 60 "$DEMO" --json --redis "redis://127.0.0.1:$port" >e.json 2>e.err; rc=$?
[ $rc -ne 0 ] && has_event e.json error ".reason | test(\"redis://127.0.0.1:$port: Connection refused\")" \
    && ! has_event e.json proc '.role == "redis-server"' \
    && pass "--redis redis://127.0.0.1:$port (closed): '$(field e.json error reason | head -n 1)', exit $rc" \
    || fail "--redis to a closed port: exit $rc: $(field e.json error reason)"

# SIGKILL of the demo in the Streams step: consumers and redis-server go too
"$DEMO" --json --count 3 >k.json 2>k.err &
demo=$!
if wait_event k.json log '.text | test("works on it for 300 ms")' 600; then
    left="$(procs k.json redis-server) $(procs k.json alice) $(procs k.json bob) $(procs k.json subscriber)"
    kill -KILL $demo; wait $demo 2>/dev/null
    all_gone $left && pass "SIGKILL in the Streams step: redis-server, consumers, subscriber gone" \
        || { fail "SIGKILL: left of $left"; kill -9 $left 2>/dev/null; }
else
    fail "no consumer at work in k.json"; kill -9 $demo
fi

# SIGKILL of the demo while the appendonly server runs: its files stay on
# disk, and the next run removes them (their owner is gone)
"$DEMO" --json --count 3 >p.json 2>p.err &
demo=$!
if wait_event p.json log '.text | test("--appendonly yes --appendfsync always")' 600; then
    left=$(procs p.json redis-server | tr '\n' ' ')
    kill -KILL $demo; wait $demo 2>/dev/null
    all_gone $left && pass "SIGKILL in the persistence step: both redis-servers gone" || { fail "left $left"; kill -9 $left 2>/dev/null; }
    timeout 180 "$DEMO" --json --count 1 >n.json 2>n.err
    no_dir && pass "the next run sweeps the dead run's append-only files and directories" || { fail "a directory left"; ls -la "${XDG_RUNTIME_DIR:-$TMPDIR}"; }
else
    fail "no appendonly server in p.json"; kill -9 $demo
fi

# SIGTERM while the broker is down in --fault broker: a summary, nothing left
"$DEMO" --json --count 1 --fault broker >t.json 2>t.err &
demo=$!
if wait_event t.json log '.text | test("^reconnect attempt 1")' 900; then
    left=$(procs t.json redis-server | tr '\n' ' ')
    kill -TERM $demo
    wait_bounded $demo 60; rc=$?
    [ $rc -eq 0 ] && has_event t.json bye && all_gone $left && no_dir \
        && pass "SIGTERM while the broker is down: a summary, exit 0, nothing left" || fail "SIGTERM mid-fault: exit $rc"
else
    fail "no reconnect attempt in t.json"; kill -9 $demo
fi
