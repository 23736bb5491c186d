# lib/role on the smallest demo with roles (tests/helpers/roledemo): the
# first process starts two workers, which are this program again; commands
# from the control channel reach both through lib's relay; their figures come
# back and are added up; a first process that dies takes its roles with it.
. "$TOP/tests/lib.sh"
DEMO="$HELPERS/roledemo"
export IPCSCOPE_MSG_RATE=0

# Figures come back: two reports, every message counted once.
"$DEMO" --json --count 7 >a.json 2>a.err; rc=$?
[ $rc -eq 0 ] && pass "two workers run and end, exit 0" || fail "exit $rc: $(cat a.err)"
check "each worker starts as a role, named" \
    test "$(jq -r 'select(.ev=="proc" and .state=="start") | .role' a.json | sort | tr '\n' ,)" = "parent,worker 1,worker 2,"
check "the first process adds up both reports" \
    test "$(jq -c 'select(.ev=="bye") | .summary' a.json)" = '{"reports":2,"sent":14}'
check "each worker's exit is reaped and told" \
    test "$(jq -r 'select(.ev=="proc" and .state=="exit") | "\(.role)=\(.code)"' a.json | sort | tr '\n' ,)" = "worker 1=0,worker 2=0,"
check "the workers' messages are traced with ids 1..7 each" \
    test "$(jq -r 'select(.ev=="msg") | .id' a.json | sort -n | uniq -c | awk '{print $1}' | sort -u)" = 2

# Commands are relayed: a rate change reaches both workers once, and is
# told once (by the first process), not once per process.
mkfifo ctl
exec 6<>ctl
IPCSCOPE_CONTROL_FD=5 "$DEMO" --json --count 100000 --rate 20 5<ctl >b.json 2>b.err &
demo=$!
wait_for b.json '"role":"worker 2"' || fail "worker 2 never started"
echo '{"cmd":"rate","hz":50}' >&6
i=0; while [ "$(jq -r 'select(.text=="relayed: rate") | .pid' b.json | sort -u | wc -l)" -lt 2 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
check "a command reaches both workers" \
    test "$(jq -r 'select(.text=="relayed: rate") | .pid' b.json | sort -u | wc -l)" -eq 2
check "and is told once" test "$(jq -r 'select(.text=="control: rate") | .pid' b.json | wc -l)" -eq 1
echo '{"cmd":"quit"}' >&6
wait_bounded $demo 60; rc=$?
[ $rc -eq 0 ] && pass "quit is relayed: the workers end, then the first process, exit 0" || fail "quit: exit $rc"
check "after quit, both workers reported" \
    test "$(jq -r 'select(.ev=="bye") | .summary.reports' b.json)" = 2

# The dashboard closing the control channel ends everything too.
# The demo must not hold a writer of its own control FIFO (fd 6), or it never reads EOF.
IPCSCOPE_CONTROL_FD=5 "$DEMO" --json --count 100000 --rate 20 5<ctl 6>&- >c.json 2>c.err &
demo=$!
wait_for c.json '"role":"worker 2"' || fail "worker 2 never started (c)"
exec 6>&-
wait_bounded $demo 60; rc=$?
[ $rc -eq 0 ] && pass "control channel closed: all end" || fail "control closed: exit $rc"

# A first process killed outright takes its roles with it (death signal).
"$DEMO" --json --count 100000 --rate 20 >d.json 2>d.err &
demo=$!
wait_for d.json '"role":"worker 2"' || fail "worker 2 never started (d)"
kids=$(jq -r 'select(.ev=="proc" and .state=="start" and .role!="parent") | .proc' d.json)
kill -9 $demo; wait $demo 2>/dev/null
i=0; alive=1
while [ $alive -eq 1 ] && [ $i -lt 100 ]; do
    alive=0; for k in $kids; do kill -0 "$k" 2>/dev/null && alive=1; done
    sleep 0.1; i=$((i + 1))
done
[ $alive -eq 0 ] && pass "SIGKILL to the first process: its roles die too" || { fail "roles outlived their parent"; kill -9 $kids 2>/dev/null; }

# A first process whose stdin is the control pipe (close-on-exec for its
# children) still gives its roles an fd 0: /dev/null.
IPCSCOPE_CONTROL_FD=0 "$DEMO" --json --count 100000 --rate 20 <ctl >e.json 2>e.err &
demo=$!
exec 6>ctl
wait_for e.json '"role":"worker 2"' || fail "worker 2 never started (e)"
w=$(jq -r 'select(.ev=="proc" and .state=="start" and .role=="worker 1") | .proc' e.json)
[ "$(readlink /proc/$w/fd/0)" = /dev/null ] && pass "a role's fd 0 is /dev/null when the parent's stdin is its control" \
    || fail "worker's fd 0 is '$(readlink /proc/$w/fd/0)'"
echo '{"cmd":"quit"}' >&6
exec 6>&-
wait_bounded $demo 60; rc=$?
[ $rc -eq 0 ] && pass "control on fd 0: quit ends all, exit 0" || fail "control on fd 0: exit $rc"

# Help names the role option as internal.
"$DEMO" --help | grep -q -- '--role NAME.*internal' && pass "--help lists --role as internal" || fail "--help"
rm -f ctl

# A stopped role (SIGSTOP) is named within a second or so, not waited for in
# silence; a quit it cannot hear ends in SIGKILL after the grace, and the
# run ends, exit 1, with nothing left behind.
"$DEMO" --json --count 100000 --rate 20 >g.json 2>g.err &
demo=$!
wait_for g.json '"role":"worker 2"' || fail "worker 2 never started (g)"
w=$(jq -r 'select(.ev=="proc" and .state=="start" and .role=="worker 1") | .proc' g.json)
kill -STOP "$w"
wait_event g.json error '.what == "stopped" and (.reason | test("^worker 1 \\(pid [0-9]+\\) is stopped"))' \
    && pass "a stopped role is named in an error event" || fail "no 'stopped' event"
kill -TERM $demo
wait_bounded $demo 60; rc=$?
[ $rc -eq 1 ] && pass "a quit the stopped role cannot hear: the run still ends, exit 1" || fail "after the quit: exit $rc"
has_event g.json error '.what == "quit" and (.reason | test("worker 1 .*SIGKILL"))' \
    && pass "the role is killed after the grace, and that is said" || fail "no 'quit' event for the stopped role"
kill -0 "$w" 2>/dev/null && fail "the stopped role is still there" || pass "the stopped role is gone"
