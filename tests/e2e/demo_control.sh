# The control channel (IPCSCOPE_CONTROL_FD) as the dashboard uses it, on
# fork-ipc: step mode waits for "step", pause stops the flow and resume starts
# it, a bad line is refused with an error event, quit ends cleanly.
. "$TOP/tests/lib.sh"
DEMO="$DEMOS/fork-ipc"
export IPCSCOPE_MSG_RATE=0
mkfifo ctl
exec 6<>ctl            # held open read-write, so neither side blocks in open()

# round trips the parent saw: pongs received (the summary is the message as sent)
pongs() { json_count "$1" msg '.dir == "recv" and (.summary | contains("\"type\":\"pong\""))'; }
PONG='.chan == "ipc" and (.summary | contains("\"type\":\"pong\""))'

IPCSCOPE_CONTROL_FD=5 "$DEMO" --json --step --count 3 5<ctl >s.json 2>s.err &
demo=$!
wait_event s.json step '.n == 1 and .waiting == true' && pass "step mode: step 1 waits" || fail "step 1 not waiting"
sleep 1
has_event s.json step '.n == 2' && fail "step mode went on without a step command" || pass "step mode: nothing moves without 'step'"
echo '{"cmd":"step"}' >&6
wait_event s.json step '.n == 2' && pass "step mode: 'step' goes to step 2" || fail "no step 2"
for i in 2 3 4 5 6 7 8 9; do echo '{"cmd":"step"}' >&6; done
wait_bounded $demo; rc=$?
[ $rc -eq 0 ] && has_event s.json bye && pass "step mode: nine steps, then bye, exit 0" || fail "step run exit $rc"

IPCSCOPE_CONTROL_FD=5 "$DEMO" --json --count 1000000 --rate 50 5<ctl >p.json 2>p.err &
demo=$!
wait_event p.json msg "$PONG" || fail "no pong before pause"
echo '{"cmd":"pause"}' >&6
wait_event p.json log '.text == "control: pause"'
sleep 0.5; before=$(pongs p.json); sleep 1.5; after=$(pongs p.json)
[ "$after" -le $((before + 1)) ] && pass "pause: the flow stops ($before, then $after pongs)" || fail "pause: $before -> $after"
# While paused, each "step" lets exactly one message go (its pong comes back).
for n in 1 2; do
    echo '{"cmd":"step"}' >&6
    i=0; while [ "$(pongs p.json)" -lt $((after + n)) ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    sleep 1
    got=$(pongs p.json)
    [ "$got" -eq $((after + n)) ] && pass "paused, step $n: exactly one more round trip ($got)" \
        || fail "paused, step $n: $after -> $got pongs"
done
after=$(pongs p.json)
echo '{"cmd":"resume"}' >&6
i=0; while [ "$(pongs p.json)" -le "$after" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(pongs p.json)" -gt "$after" ] && pass "resume: the flow goes on" || fail "resume"
echo '{"cmd":"rate","hz":200}' >&6
wait_event p.json log '.text == "control: rate"' && pass "rate: applied and acknowledged" || fail "rate"
echo '{not json' >&6
wait_event p.json error '.what == "control" and (.reason | contains("malformed"))' && pass "a malformed control line: error event" || fail "malformed control"
echo '{"cmd":"launch-missiles"}' >&6
wait_event p.json error ".what == \"control\" and .reason == \"unknown control command 'launch-missiles'\"" && pass "an unknown command: error event" || fail "unknown command"
echo '{"cmd":"quit"}' >&6
wait_bounded $demo; rc=$?
[ $rc -eq 0 ] && field p.json log text | grep -qx 'quit from the dashboard: winding down' && has_event p.json bye \
    && pass "quit: winds down with a summary, exit 0" || fail "quit: exit $rc"

# Sizes are checked against what the channel takes: a size the child must
# refuse would never be answered. 64 MiB pads to the limit, and back to 64
# the flow goes on; a storm of fault commands sends one a second.
IPCSCOPE_CONTROL_FD=5 "$DEMO" --json --count 1000000 --rate 50 --max-message 65536 5<ctl >z.json 2>z.err &
demo=$!
wait_event z.json msg "$PONG" || fail "no pong before the size change"
echo '{"cmd":"size","bytes":67108864}' >&6
wait_event z.json log ".text | contains(\"over the channel's 65536-byte limit\")" && pass "size 64 MiB: told it is over the channel's limit" \
    || fail "size 64 MiB: nothing said"
before=$(pongs z.json)
i=0; while [ "$(pongs z.json)" -le $((before + 2)) ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(pongs z.json)" -gt $((before + 2)) ] && pass "size 64 MiB: the ping-pong goes on" || fail "size 64 MiB: the flow stalled"
echo '{"cmd":"size","bytes":64}' >&6
before=$(pongs z.json)
i=0; while [ "$(pongs z.json)" -le $((before + 2)) ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(pongs z.json)" -gt $((before + 2)) ] && pass "size back to 64: the ping-pong goes on" || fail "size 64: stalled"
for i in $(seq 200); do echo '{"cmd":"fault","kind":"oversize"}'; done >&6
wait_event z.json log '.text | contains("not sent: one a second")' || fail "the fault storm was not limited"
n=$(field z.json log text | grep -c '^fault: writing a')
[ "$n" -ge 1 ] && [ "$n" -le 3 ] && pass "a storm of 200 fault commands writes $n bad lines" || fail "fault storm: $n bad lines written"
echo '{"cmd":"quit"}' >&6
wait_bounded $demo 30; rc=$?
[ $rc -eq 0 ] && pass "after the storm, quit ends it cleanly" || fail "after the storm: exit $rc"
exec 6>&-
rm -f ctl

# --step alone with stdin not a terminal: nothing could ever step, so it is
# refused at once with the reason, rather than stopping silently at step 1.
out=$("$DEMO" --step </dev/null 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q "stdin is not one" \
    && pass "--step without a terminal: refused, exit 2, the reason said" || fail "--step </dev/null: $rc $out"
