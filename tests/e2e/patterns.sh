# patterns run headless (--json) and checked on its events: every step of
# the lesson, the figures of each of article 004's practices (batching,
# requests with ids and a timeout, validation, size limits, JSON vs
# MessagePack, the watchdog, round trips), then SIGTERM and SIGKILL mid-run.
# No timing thresholds: figures must be there and sane, not fast.
. "$TOP/tests/lib.sh"
DEMO="$DEMOS/patterns"
FAST="--watchdog-ms 300 --grace-ms 300"

timeout 120 "$DEMO" --json --count 20 $FAST >p.json 2>p.err
rc=$?; [ $rc -eq 0 ] && pass "exit 0" || { fail "exit $rc"; cat p.err; }
steps=$(field p.json step n | tr '\n' ' ')
[ "$steps" = "1 2 3 4 5 6 7 8 9 10 11 " ] && pass "all eleven steps (8 to 10 need node: tests/e2e/patterns_node.sh)" \
    || fail "steps were '$steps'"
has_event p.json error '.what != "refused"' && fail "an error event: $(field p.json error reason | head -3)" \
    || pass "no error but the framing's two refusals"
bye() { events p.json bye | jq -r ".summary.$1"; }

# batching: three rounds of 1,000 items, each counted whole by the child
for r in singles batch batcher; do
    v=$(bye "batching.${r}_items_per_s"); f=$(bye "batching.${r}_first_item_ns")
    [ "$v" -gt 0 ] 2>/dev/null && [ "$f" -gt 0 ] 2>/dev/null && pass "batching $r: $v items/s, first item after $f ns" \
        || fail "batching $r: '$v' items/s, first '$f'"
done
b=$(bye batching.batches)
[ "$b" -ge 10 ] 2>/dev/null && [ "$b" -le 1000 ] && pass "the batcher sent $b batches of at most 100" || fail "batches: '$b'"
w=$(bye batching.wait_max_ns)
[ "$w" -gt 0 ] 2>/dev/null && pass "an item's wait in its batch measured ($w ns at most)" || fail "wait: '$w'"
timeout 60 "$DEMO" --json --count 1 $FAST --batch-size 1000 --flush-ms 1000 >bs.json 2>bs.err
[ "$(events bs.json bye | jq -r .summary.batching.batches)" = 1 ] \
    && pass "--batch-size 1000 --flush-ms 1000: one batch" || fail "--batch-size: $(events bs.json bye | jq -c .summary.batching)"

# requests: three answered by id, the slow one timed out, its answer late
[ "$(bye requests.answered) $(bye requests.timed_out) $(bye requests.late)" = "3 1 1" ] \
    && pass "getUser: 3 answered by id, 1 timed out, its answer came late and was dropped" \
    || fail "requests: $(events p.json bye | jq -c .summary.requests)"
for id in 1 2 3; do
    field p.json log text | grep -q "^answer to request $id: user 123" || fail "request $id unanswered"
done
has_event p.json msg '.dir == "send" and (.summary | contains("\"type\":\"config\""))' \
    && pass "004's config message went out" || fail "no config message"

# validation: 7 of 9 dropped, and the count is in the channel's stats
[ "$(bye validation.dropped)" = 7 ] && pass "validation: 7 of 9 dropped" || fail "dropped: $(bye validation.dropped)"
[ "$(bye 'validation.reasons.null')" = 1 ] && pass "null dropped on its own (004's check would throw)" || fail "null"
has_event p.json stats '.chan == "ipc" and .rejected == 7' \
    && pass "the dropped count is in a stats event (the dashboard shows it)" || fail "no stats with dropped"

# size limits: 004's check lets 1.2 MB of é pass, kills on 1.1 MB of x
[ "$(bye sizes.utf16_bytes)" -gt 1048576 ] && [ "$(bye sizes.utf16_length)" -lt 1048576 ] \
    && pass "1.2 MB of 'é' passes 004's .length check (UTF-16 units, not bytes)" || fail "utf16"
[ "$(bye sizes.article_buffered_bytes)" -gt 1048576 ] && pass "the oversize message was buffered whole before the check" \
    || fail "buffered: $(bye sizes.article_buffered_bytes)"
[ "$(bye sizes.kill_tasks_lost)" = 3 ] && [ "$(bye sizes.framing_tasks_lost)" = 0 ] \
    && pass "kill-on-oversize lost the 3 tasks in flight; the framing's bound lost none" \
    || fail "tasks lost: $(bye sizes.kill_tasks_lost) / $(bye sizes.framing_tasks_lost)"
[ "$(json_count p.json error '.what == "refused" and (.reason | contains("1048576-byte limit"))')" = 2 ] \
    && pass "the framing refused both big lines by their length" || fail "refusals"

# serialization: MessagePack smaller than JSON; the Buffer bigger on the wire
jb=$(bye serialization.json_bytes); mb=$(bye serialization.msgpack_bytes); bw=$(bye serialization.buffer_wire_bytes)
[ "$mb" -gt 0 ] && [ "$mb" -lt "$jb" ] && [ "$bw" -gt "$jb" ] \
    && pass "JSON $jb B, MessagePack $mb B, the msgpack Buffer on a JSON channel $bw B" \
    || fail "serialization bytes: $jb $mb $bw"
for k in json_encode_ns json_decode_ns msgpack_encode_ns msgpack_decode_ns; do
    v=$(bye "serialization.$k"); [ "${v%.*}" -gt 0 ] 2>/dev/null || fail "serialization.$k: '$v'"
done
[ "$(bye serialization.config_buffer_json_chars)" -gt "$(bye serialization.config_msgpack_bytes)" ] \
    && pass "004's config as msgpack grows as {type:'Buffer', data:[...]}" || fail "config Buffer"

# errors: ENOENT, then the watchdog's SIGTERM, then SIGKILL for a deaf child
[ "$(bye errors.first_signal) $(bye errors.second_signal)" = "TERM KILL" ] \
    && pass "watchdog: a hung child dies of SIGTERM; one that catches it gets SIGKILL" \
    || fail "watchdog: $(events p.json bye | jq -c .summary.errors)"
has_event p.json proc '.state == "exit" and .signal == "SIGKILL"' && pass "proc exit with SIGKILL" || fail "no SIGKILL exit"
field p.json log text | grep -q "spawn /nonexistent/child.js ENOENT" && pass "'error': spawn ENOENT" || fail "no ENOENT"

# round trips: one sample, then a histogram
[ "$(bye monitor.samples)" = 21 ] && [ "$(bye monitor.single_ns)" -gt 0 ] \
    && pass "one hrtime sample, then 21 in the histogram" || fail "monitor: $(events p.json bye | jq -c .summary.monitor)"
has_event p.json stats '.chan == "ipc" and .count > 0 and .p50 > 0' && pass "latency stats events" || fail "no latency stats"
for c in $(field p.json proc proc '.state == "start" and .role == "child"'); do
    wait_gone "$c" || fail "child $c left"
done

# SIGTERM and SIGKILL mid-run (in the steady ping-pong): nothing left
for sig in TERM KILL; do
    "$DEMO" --json --count 1000000 --rate 50 $FAST >k.json 2>k.err &
    demo=$!
    if wait_event k.json log '.text | test("one sample; now a histogram")' 600; then
        kids=$(field k.json proc proc '.state == "start" and .role == "child"')
        kill -$sig $demo
        wait_bounded $demo 30
        left=""
        for c in $kids; do wait_gone "$c" || left="$left $c"; done
        [ -z "$left" ] && pass "SIG$sig to the parent mid-run: no child left" || fail "SIG$sig: left$left"
    else
        fail "SIG$sig run never reached the steady part"; kill -9 $demo; wait $demo
    fi
done
[ "$(events k.json bye | wc -l)" = 0 ] || fail "a bye after SIGKILL?"
