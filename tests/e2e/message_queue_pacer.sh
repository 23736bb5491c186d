# message-queue's steps 5 (ZeroMQ) and 6 (POSIX mq) tick through lib/demo's
# pacer, so the dashboard's pause and step hold them as they hold the round
# trips: driven through the control fd as the dashboard drives it (see
# demo_control.sh), a pause stops the ticks, each "step" lets exactly one go,
# "resume" lets the lesson run to its end; then --attach lean (attach.c)
# runs the whole lesson too, and the round trips come back.
. "$TOP/tests/lib.sh"
DEMO="$DEMOS/message-queue"
export IPCSCOPE_MSG_RATE=0
command -v redis-server >/dev/null || { skip "redis-server is not installed (mk/deps.sh)"; exit 0; }
fig() { events "$1" bye | jq -r ".summary$2"; }

# a tick of each step: step 5's zmq_send while nobody pulls, step 6's
# mq_send while nobody receives (each tick narrates one)
ZTICK='.text | test("^zmq_send\\(\"msg [0-9]+\", ZMQ_DONTWAIT\\) ->")'
PTICK='.text | test("^mq_send\\(.*\\) -> 0: nobody receives yet")'

mkfifo ctl
exec 6<>ctl            # held open read-write, so neither side blocks in open()
IPCSCOPE_CONTROL_FD=5 timeout 240 "$DEMO" --json --count 3 5<ctl >p.json 2>p.err &
demo=$!

# held: PAUSE_KIND PAUSE_COND TICK NAME: pause as the step starts (its first
# tick is a second later), no tick while paused, one per "step"
held() {
    wait_event p.json log "$1" 600 || { fail "$3: the step never started"; return; }
    echo '{"cmd":"pause"}' >&6
    wait_count p.json log '.text == "control: pause"' "$4" || fail "$3: pause not acknowledged"
    before=$(json_count p.json log "$2"); sleep 2.5; after=$(json_count p.json log "$2")
    [ "$after" -eq "$before" ] && pass "$3: paused, no tick in 2.5 s ($after so far)" \
        || fail "$3: paused, yet $before -> $after ticks"
    for n in 1 2; do
        echo '{"cmd":"step"}' >&6
        wait_count p.json log "$2" $((after + n)) 100
        sleep 1.5
        got=$(json_count p.json log "$2")
        [ "$got" -eq $((after + n)) ] && pass "$3: paused, step $n lets exactly one tick go ($got)" \
            || fail "$3: paused, step $n: $after -> $got ticks"
    done
    echo '{"cmd":"resume"}' >&6
}
held '.text | test("^zmq_socket\\(ZMQ_PUSH\\)")' "$ZTICK" "step 5 (ZeroMQ)" 1
held '.text | test("^mq_open\\(")' "$PTICK" "step 6 (POSIX mq)" 2

wait_bounded $demo 200; rc=$?
[ $rc -eq 0 ] && has_event p.json bye && pass "resumed: the lesson runs to its end, exit 0" \
    || { fail "exit $rc"; cat p.err; field p.json error reason; }
[ "$(fig p.json .zmq.mute_eagain)" = 3 ] && [ "$(fig p.json .zmq.out_of_order)" = 0 ] \
    && pass "step 5 after the pause: 3 mute EAGAINs, all in order" || fail "zmq: $(fig p.json .zmq)"
[ "$(fig p.json .posix_mq.order)" = "9 5 5 1 1 0" ] \
    && pass "step 6 after the pause: received 9 5 5 1 1 0" || fail "posix: $(fig p.json .posix_mq)"
exec 6>&-
rm -f ctl

# --attach lean: the same lesson with attach.c between hiredis and the loop
timeout 180 "$DEMO" --json --count 50 --attach lean >l.json 2>l.err
rc=$?
[ $rc -eq 0 ] && [ "$(fig l.json .round_trips)" = 50 ] && [ "$(fig l.json .missed)" = 0 ] \
    && ! has_event l.json error '.what != "refused" and .what != "dead-letter" and .what != "cut off"' \
    && pass "--attach lean: the whole lesson, 50 round trips, none missed, exit 0" \
    || { fail "--attach lean: exit $rc, $(fig l.json '| {round_trips, missed}')"; field l.json error reason; }
has_event l.json log '.text | test("^SUBSCRIBE channel my-channel ipcscope:[0-9]+:ping")' \
    && pass "--attach lean: the subscriber subscribes on it too" || fail "--attach lean: no SUBSCRIBE narrated"
