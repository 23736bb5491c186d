# shared-memory run headless (--json) and checked on its events: each of the
# nine steps; the race asked for with --race (the worker reads 0) and its fix
# (42); the lost update with the atomic and mutex counters exact; article
# 002's copy still zeros next to the shared "hello from worker"; the /dev/shm
# name in both processes' maps, unlinked once both map it; "Hello from
# Process A" read by process 2; the ring's pings and pongs counted at both
# ends; the three round trips measured. Then SIGKILL of either process,
# SIGTERM, a quit from the control fd, and a name a killed run left behind:
# no process and no /dev/shm name may be left.
. "$TOP/tests/lib.sh"
DEMO="$DEMOS/shared-memory"
export IPCSCOPE_MSG_RATE=0 # every msg event, so counts can be compared

# no_name PID: /dev/shm holds no name of the run whose first process was PID
no_name() { ! ls /dev/shm 2>/dev/null | grep -q "^ipcscope-$1-"; }
# second FILE: process 2's pid
second() { jq -r 'select(.ev=="chan" and .id=="shm" and .state=="open") | .b' "$1" 2>/dev/null | head -n 1; }
# fig FILE PATH: a figure of the bye, e.g. fig f .counter.plain
fig() { events "$1" bye | jq -r ".summary$2"; }

timeout 120 "$DEMO" --json --count 20 --measure 2000 >r.json 2>r.err
rc=$?; [ $rc -eq 0 ] && pass "default run: exit 0" || { fail "default run: exit $rc"; cat r.err; field r.json error reason; }
p1=$(field r.json hello pid)
p2=$(second r.json)
steps=$(field r.json step n | tr '\n' ' ')
[ "$steps" = "1 2 3 4 5 6 7 8 9 " ] && pass "all nine steps" || fail "steps were '$steps'"
! has_event r.json error && pass "no error event" || { fail "errors:"; field r.json error reason; }

# steps 1-2: the store and the load; without --race the fix reads 42 for sure
[ "$(fig r.json .race.fixed_read)" = 42 ] && pass "Atomics.wait/notify: the worker read 42" \
    || fail "fixed read: $(fig r.json .race.fixed_read)"
has_event r.json msg '.chan == "thread" and .from == "worker thread" and .dir == "send" and (.summary | test("^load: "))' \
    && pass "the worker thread is a lane of its own (its load is a message from \"worker thread\")" \
    || fail "no message from the worker thread"

# step 3: the lost update
want=$(fig r.json .counter.expected) plain=$(fig r.json .counter.plain)
[ "$want" = 2000000 ] && [ "$(fig r.json .counter.atomic)" = "$want" ] && [ "$(fig r.json .counter.mutex)" = "$want" ] \
    && pass "atomic add and mutex: exactly $want" || fail "atomic $(fig r.json .counter.atomic), mutex $(fig r.json .counter.mutex), want $want"
[ "$plain" -le "$want" ] && pass "plain load+store: $plain of $want ($((want - plain)) lost; 0 means the threads never overlapped)" \
    || fail "plain counter $plain is over $want"
for how in plain atomic mutex; do
    [ "$(fig r.json ".counter.${how}_ms > 0")" = true ] || fail "no time for $how"
done

# step 4: article 002's copy
[ "$(fig r.json .copy.buffer)" = "00 00 00 00 ... (zeros)" ] && [ "$(fig r.json .copy.shared)" = '"hello from worker"' ] \
    && pass "the posted Buffer is a copy (zeros), the shared one reads \"hello from worker\"" \
    || fail "copy: $(fig r.json .copy.buffer) / $(fig r.json .copy.shared)"

# steps 5-7: the name, both maps, the unlink, the 20 bytes
name="/ipcscope-$p1-shm"
has_event r.json log ".text | startswith(\"shm_open(\\\"$name\\\", O_CREAT|O_EXCL|O_RDWR, 0600)\")" \
    && pass "shm_open of $name, 0600, O_EXCL" || fail "no shm_open narrated"
for pid in $p1 $p2; do
    has_event r.json log ".text | test(\"^/proc/$pid/maps: .* rw-s .*/dev/shm$name\")" \
        && pass "/proc/$pid/maps shows /dev/shm$name, shared" || fail "no maps line for $pid"
done
has_event r.json log ".text == \"shm_unlink(\\\"$name\\\")\"" && pass "the name is unlinked once both map it" \
    || fail "no shm_unlink"
has_event r.json msg ".pid == $p2 and .dir == \"recv\" and .summary == \"Hello from Process A\" and .bytes == 20" \
    && has_event r.json log '.text | test("sem_wait\\(\\) returned: memory.read\\(0, 20\\) -> \"Hello from Process A\"")' \
    && pass "process 2 read 20 bytes after sem_wait: Hello from Process A" || fail "process 2 did not read the hello"

# step 8: measured
for how in spin futex socket; do
    n=$(fig r.json ".measure.${how}_count") p=$(fig r.json ".measure.${how}_p50_ns")
    [ "$n" -gt 0 ] && [ "$p" -gt 0 ] && pass "$how round trips: $n, p50 $p ns" || fail "$how: $n round trips, p50 $p"
done
field r.json bye text | grep -q "round trip p50: spinning .*, futex .*, Unix socket " \
    && pass "the bye names the three p50s" || fail "bye text: $(field r.json bye text)"

# step 9: the ring. Process 1 sends hello, 20 pings and bye; process 2
# receives each, and answers each ping.
s1=$(json_count r.json msg ".pid == $p1 and .chan == \"shm\" and .dir == \"send\"")
r2=$(json_count r.json msg ".pid == $p2 and .chan == \"shm\" and .dir == \"recv\"")
s2=$(json_count r.json msg ".pid == $p2 and .chan == \"shm\" and .dir == \"send\"")
r1=$(json_count r.json msg ".pid == $p1 and .chan == \"shm\" and .dir == \"recv\" and .lat > 0")
[ "$s1" = 22 ] && [ "$r2" = 22 ] && [ "$s2" = 20 ] && [ "$r1" = 20 ] \
    && pass "ring: process 1 sent 22 (hello, 20 pings, bye) = process 2 received $r2; 20 pongs, each timed" \
    || fail "ring counts: p1 sent $s1, p2 got $r2, p2 sent $s2, p1 timed $r1"
[ "$(fig r.json .round_trips)" = 20 ] && pass "bye: 20 round trips" || fail "bye round trips: $(fig r.json .round_trips)"
has_event r.json proc ".state == \"exit\" and .proc == $p2 and .code == 0" && pass "process 2 exited 0 after bye" \
    || fail "process 2's exit"
no_name "$p1" && pass "no name left in /dev/shm" || fail "left: $(ls /dev/shm | grep "ipcscope-$p1-")"

# --race: the store comes 100 ms late; the worker reads 0; the fix still 42
timeout 120 "$DEMO" --json --count 2 --measure 0 --race >race.json 2>race.err
rc=$?
[ $rc -eq 0 ] && [ "$(fig race.json .race.read)" = 0 ] && [ "$(fig race.json .race.fixed_read)" = 42 ] \
    && pass "--race: the worker read 0; with Atomics.wait it reads 42" \
    || fail "--race (exit $rc): read $(fig race.json .race.read), fixed $(fig race.json .race.fixed_read)"
has_event race.json log '.text | test("loaded 0: the store came after the load")' \
    && pass "--race: the narration says the store came after the load" || fail "--race narration"

# start_mid_run FILE: a long run in the background until its pongs flow;
# sets $demo, $p1, $p2
start_mid_run() {
    "$DEMO" --json --count 1000000 --rate 50 --measure 0 >"$1" 2>"$1.err" &
    demo=$!
    if ! wait_event "$1" msg '.chan == "shm" and .lat > 0' 600; then
        fail "no pong in $1"; kill -9 $demo; wait $demo; return 1
    fi
    p1=$demo p2=$(second "$1")
}

# process 2 SIGKILLed: process 1 says so, ends with exit 1, leaves nothing
if start_mid_run k2.json; then
    kill -KILL "$p2"
    wait_bounded $demo 60; rc=$?
    [ $rc -eq 1 ] && has_event k2.json proc ".state == \"exit\" and .proc == $p2 and .signal == \"SIGKILL\"" \
        && has_event k2.json error '.what == "process 2"' && has_event k2.json bye \
        && pass "process 2 SIGKILLed: process 1 reports it, a summary, exit 1" || fail "process 2 killed: exit $rc"
    no_name "$p1" && pass "process 2 SIGKILLed: no name left" || fail "process 2 killed: name left"
fi

# process 1 SIGKILLed: process 2 dies with it (PR_SET_PDEATHSIG); the name
# was unlinked when both had mapped it, so nothing is left
if start_mid_run k1.json; then
    kill -KILL "$p1"
    wait "$demo" 2>/dev/null
    wait_gone "$p2" && pass "process 1 SIGKILLed: process 2 goes too" || { fail "process 2 $p2 left"; kill -9 "$p2"; }
    no_name "$p1" && pass "process 1 SIGKILLed: no name left" || fail "process 1 killed: name left"
fi

# SIGTERM to process 1: both wind down, a summary, exit 0
if start_mid_run t.json; then
    kill -TERM "$p1"
    wait_bounded $demo 60; rc=$?
    [ $rc -eq 0 ] && field t.json log text | grep -qx 'SIGTERM: winding down' && has_event t.json bye \
        && has_event t.json proc ".state == \"exit\" and .proc == $p2 and .code == 0" \
        && pass "SIGTERM: both wind down, a summary, exit 0" || fail "SIGTERM: exit $rc"
    wait_gone "$p2" && no_name "$p1" && pass "SIGTERM: nothing left" || fail "SIGTERM: left something"
fi

# quit from the dashboard's control fd, in step mode, mid-lesson
mkfifo ctl
exec 6<>ctl
IPCSCOPE_CONTROL_FD=5 "$DEMO" --json --step --measure 0 5<ctl >q.json 2>q.err &
demo=$!
wait_event q.json step '.n == 1 and .waiting == true' && pass "--step: step 1 waits" || fail "step 1 not waiting"
for i in 1 2 3 4 5 6; do echo '{"cmd":"step"}' >&6; done
wait_event q.json step '.n == 7 and .waiting == true' && pass "--step: six steps on, process 2 is up" || fail "no step 7"
p2=$(second q.json)
echo '{"cmd":"quit"}' >&6
wait_bounded $demo 60; rc=$?
[ $rc -eq 0 ] && has_event q.json bye && pass "quit mid-lesson: a summary, exit 0" || fail "quit: exit $rc"
[ -n "$p2" ] && wait_gone "$p2" && no_name "$demo" && pass "quit: process 2 gone, no name left" || fail "quit: left $p2"
exec 6>&-
rm -f ctl

# A name that a killed run left (its pid gone) is swept by the next run.
sh -c 'exit 0' & dead=$!; wait $dead
: >"/dev/shm/ipcscope-$dead-shm"
timeout 120 "$DEMO" --json --count 1 --measure 0 >sw.json 2>sw.err
[ ! -e "/dev/shm/ipcscope-$dead-shm" ] && has_event sw.json log '.text | test("^removed 1 name")' \
    && pass "a name left by a dead run is swept, and said" || { fail "sweep"; rm -f "/dev/shm/ipcscope-$dead-shm"; }

out=$("$DEMO" --threads 9 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q "threads" && pass "--threads 9: refused, exit 2" || fail "--threads 9: $rc $out"
"$DEMO" --describe | jq -e '.name == "shared-memory"' >/dev/null && pass "--describe is JSON with its name" \
    || fail "--describe"
