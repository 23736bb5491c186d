# The http demo quit in the middle of each lesson step: in step mode, the
# "step" that starts step N, then a "quit" in the same write or 5 ms
# later, so that the quit lands while the step's first request (or
# upgrade, or stream) is in flight. Each run must end with a bye and exit 0, with no failed check
# from the request the quit cut short, and leave nothing behind.
. "$TOP/tests/lib.sh"
DEMO="$DEMOS/http"

for run in 1 2 3 4 5 6 7 8 1+ 2+ 3+ 4+ 5+ 6+ 7+ 8+; do
    n=${run%+} tag=""
    [ "$run" != "$n" ] && tag=" (5 ms in)"
    rm -f ctl; mkfifo ctl
    exec 6<>ctl
    IPCSCOPE_CONTROL_FD=5 "$DEMO" --json --step --count 3 --rate 50 5<ctl >q$n.json 2>q$n.err &
    demo=$!
    k=1 ok=1
    while [ $k -le $n ]; do
        if ! wait_event q$n.json step ".n == $k and .waiting == true" 900; then ok=0; break; fi
        if [ $k -lt $n ]; then echo '{"cmd":"step"}' >&6
        elif [ "$run" = "$n" ]; then printf '{"cmd":"step"}\n{"cmd":"quit"}\n' >&6
        else echo '{"cmd":"step"}' >&6; sleep 0.005; echo '{"cmd":"quit"}' >&6; fi
        k=$((k + 1))
    done
    if [ $ok = 1 ]; then
        wait_bounded $demo 60; rc=$?
        bad=$(field q$n.json error reason '.what == "http.get" or .what == "sse" or .what == "fanout" or .what == "redis"' | head -2)
        [ $rc -eq 0 ] && has_event q$n.json bye && [ -z "$bad" ] && pass "quit as step $n starts$tag: a bye, exit 0, no failed request" \
            || fail "quit in step $n$tag: exit $rc; $bad"
    else
        fail "step $n never came"; kill -9 $demo; wait $demo 2>/dev/null
    fi
    exec 6>&-
    rm -f ctl
done
