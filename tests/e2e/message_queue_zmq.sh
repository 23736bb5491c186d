# message-queue's queues without Redis, run headless (--json) and checked
# on their events: step 5, ZeroMQ PUSH/PULL with no broker (the mute
# pusher's EAGAINs while nobody pulls, the messages in order, EAGAIN at the
# high-water mark); step 6, the kernel's POSIX queue (mq_send priorities
# received highest first, EAGAIN when full, the queue's file in the mqueue
# filesystem, mq_unlink); then SIGTERM and SIGKILL in each step: no puller,
# no receiver, no queue name left (a SIGKILLed run's name is swept by the
# next run).
#
# The mqueue filesystem shows the queues as files. When it is not mounted
# and we may, the script runs again in a mount namespace of its own with it
# mounted on ./mq (unshare -m -i: its own mounts and its own IPC namespace), so the host's /dev is never touched.
. "$TOP/tests/lib.sh"
DEMO="$DEMOS/message-queue"
export IPCSCOPE_MSG_RATE=0
command -v redis-server >/dev/null || { skip "redis-server is not installed (mk/deps.sh)"; exit 0; }

if [ -z "${MQ_NS:-}" ] && ! awk '$3 == "mqueue" {f = 1} END {exit !f}' /proc/self/mounts &&
    [ "$(id -u)" = 0 ] && unshare -m -i true 2>/dev/null; then
    mkdir -m 700 mq
    # A private IPC namespace too: the queues are per IPC namespace, and a
    # demo run elsewhere on the machine must not show up in ours.
    MQ_NS=1 exec unshare -m -i --propagation private sh -c 'mount -t mqueue none "$PWD/mq"; exec sh "$0"' "$0"
fi
MQ=$(awk '$3 == "mqueue" {print $2; exit}' /proc/self/mounts)
fig() { events "$1" bye | jq -r ".summary$2"; }
proc_of() { jq -r "select(.ev==\"proc\" and .role==\"$2\" and .state==\"start\") | .proc" "$1" | head -n 1; }
mq_clean() { [ -z "$MQ" ] || ! ls "$MQ" | grep -q '^ipcscope-mq\.'; }

timeout 180 "$DEMO" --json --count 3 --rate 50 >r.json 2>r.err
rc=$?; [ $rc -eq 0 ] && pass "run: exit 0" || { fail "run: exit $rc"; cat r.err; field r.json error reason; }
! has_event r.json error '.what != "refused" and .what != "dead-letter" and .what != "cut off"' && pass "no error event but the lesson's refusals" || { fail "errors:"; field r.json error reason; }
p1=$(field r.json hello pid); puller=$(proc_of r.json puller); rs=$(proc_of r.json redis-server)

# step 5: ZeroMQ push/pull
has_event r.json step '.n == 5 and (.title | test("ZeroMQ"))' && pass "step 5 is ZeroMQ push/pull" || fail "no step 5"
has_event r.json log '.text | test("zmq_bind -> tcp://127.0.0.1:[0-9]+")' \
    && pass "the pusher binds tcp://127.0.0.1 on a port the kernel picked" || fail "no zmq_bind"
[ "$(fig r.json .zmq.mute_eagain)" = 3 ] \
    && [ "$(json_count r.json log '.text | test("^zmq_send\\(\"msg [123]\", ZMQ_DONTWAIT\\) -> EAGAIN")')" = 3 ] \
    && pass "no puller yet: 3 zmq_send -> EAGAIN, counted" || fail "mute EAGAINs: $(fig r.json .zmq)"
got=$(jq -r "select(.ev==\"log\" and .pid==$puller) | .text | capture(\"^zmq_msg_recv -> .msg (?<n>[0-9]+)\").n" r.json | tr '\n' ' ')
[ "$got" = "4 5 6 7 8 " ] && pass "the puller (pid $puller) gets msg 4 .. 8, in order" || fail "msgs were '$got'"
s=$(fig r.json .zmq.sent) n=$(fig r.json .zmq.received)
[ "$s" -gt 60 ] && [ "$s" = "$n" ] && [ "$(fig r.json .zmq.out_of_order)" = 0 ] \
    && pass "all $s sent arrive, none out of order" || fail "sent $s received $n: $(fig r.json .zmq)"
[ "$(fig r.json .zmq.hwm_eagain)" -ge 1 ] \
    && has_event r.json log '.text | test("^burst: after [0-9]+ messages .*EAGAIN")' \
    && pass "the puller holds: EAGAIN at the high-water mark, $(fig r.json .zmq.hwm_eagain) time(s)" \
    || fail "no EAGAIN at the HWM: $(fig r.json .zmq)"
has_event r.json msg ".chan == \"zmq\" and .pid == $p1 and .to == $puller and .dir == \"send\"" \
    && ! has_event r.json msg ".chan == \"zmq\" and (.to == $rs or .from == $rs)" \
    && pass "zmq messages go pusher -> puller, no broker between" || fail "zmq's arrows"
has_event r.json proc ".proc == $puller and .state == \"exit\" and .code == 0" && pass "the puller exits 0" \
    || fail "the puller's exit"

# step 6: the kernel's queue
has_event r.json step '.n == 6 and (.title | test("kernel"))' && pass "step 6 is the kernel's queue" || fail "no step 6"
name="/ipcscope-mq.$p1"
has_event r.json log ".text | test(\"^mq_open\\\\(\\\"$name\\\", O_CREAT\\\\|O_EXCL.*0600.*mq_maxmsg 4, mq_msgsize 128\")" \
    && pass "mq_open($name, O_CREAT|O_EXCL, 0600): mq_maxmsg 4, mq_msgsize 128" || fail "no mq_open narrated"
[ "$(fig r.json .posix_mq.eagain)" = 1 ] && has_event r.json log '.text | test("^mq_send.*-> EAGAIN: the queue holds mq_maxmsg 4")' \
    && pass "the fifth mq_send: EAGAIN (O_NONBLOCK, the queue is full)" || fail "no EAGAIN: $(fig r.json .posix_mq)"
[ "$(fig r.json .posix_mq.order)" = "9 5 5 1 1 0" ] && [ "$(fig r.json .posix_mq.received)" = 6 ] \
    && pass "mq_receive in another process: priorities 9 5 5 1 1 0, highest first" || fail "order '$(fig r.json .posix_mq.order)'"
recv=$(proc_of r.json mq-receiver)
[ -n "$recv" ] && [ "$recv" != "$p1" ] && has_event r.json msg ".chan == \"posix-mq\" and .pid == $recv and .dir == \"recv\" and .from == \"kernel mq\"" \
    && has_event r.json msg ".chan == \"posix-mq\" and .pid == $p1 and .dir == \"send\" and .to == \"kernel mq\"" \
    && pass "the receiver is its own process (pid $recv); the messages pass the lane \"kernel mq\"" \
    || fail "the receiver's messages"
if [ -n "$MQ" ]; then
    has_event r.json log ".text | test(\"^created: $MQ$name \\\\(mode 600\\\\): QSIZE:0\")" \
        && has_event r.json log ".text | test(\"^full: $MQ$name .*QSIZE:[1-9]\")" \
        && has_event r.json log '.text | test("^after mq_unlink: .*No such file")' \
        && pass "the queue's file in $MQ: mode 600, QSIZE:0, then full; gone after mq_unlink" \
        || fail "the mqueue file not shown"
    mq_clean && pass "$MQ holds no ipcscope-mq name after the run" || fail "left: $(ls "$MQ")"
else
    skip "the mqueue filesystem is not mounted (and we may not mount it): no file to check"
fi

# SIGTERM and SIGKILL in each step: no process and no name left
for sig in TERM KILL; do
    for at in zmq mq; do
        pat='zmq_bind -> tcp'; [ $at = mq ] && pat='^mq_send\\(\"low: write'
        "$DEMO" --json --count 1000000 --rate 4 >s.json 2>s.err &
        demo=$!
        if wait_event s.json log ".text | test(\"$pat\")" 900; then
            kids=$(jq -r 'select(.ev=="proc" and .state=="start" and .proc != .pid) | .proc' s.json | tr '\n' ' ')
            kill -$sig $demo
            wait_bounded $demo 60; rc=$?
            [ $sig = KILL ] || { [ $rc -eq 0 ] && has_event s.json bye; } \
                && pass "SIG$sig in the $at step: $([ $sig = TERM ] && echo "a summary, exit 0" || echo killed)" \
                || fail "SIG$sig in the $at step: exit $rc"
            sleep 0.5
            kids=$kids$(jq -r 'select(.ev=="proc" and .state=="start" and .proc != .pid) | .proc' s.json | tr '\n' ' ')
            left=""; for k in $kids; do wait_gone "$k" || left="$left $k"; done
            [ -z "$left" ] && pass "SIG$sig in the $at step: every process of the run is gone" \
                || { fail "SIG$sig in the $at step: left$left"; kill -9 $left 2>/dev/null; }
            if [ $sig = TERM ] || [ $at = zmq ]; then
                mq_clean && pass "SIG$sig in the $at step: no queue name left" || fail "SIG$sig: left $(ls "$MQ")"
            elif [ -n "$MQ" ]; then
                ls "$MQ" | grep -q "^ipcscope-mq\.$demo\$" && pass "SIGKILL in the mq step: the name is left (nobody could unlink it)" \
                    || fail "SIGKILL: no name left to sweep"
                timeout 180 "$DEMO" --json --count 1 --rate 50 >n.json 2>n.err
                has_event n.json log ".text | test(\"^mq_unlink\\\\(\\\"/ipcscope-mq.$demo\\\"\\\\): left by a run that was killed\")" \
                    && mq_clean && pass "SIGKILL: the next run sweeps /ipcscope-mq.$demo; $MQ is clean" \
                    || fail "SIGKILL: not swept ($(ls "$MQ"))"
            fi
        else
            fail "SIG$sig: the $at step never came"; kill -9 $demo
        fi
    done
done
