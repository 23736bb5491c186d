# Tracing never stops the mechanism: a demo writing --json into a pipe that
# nobody reads keeps serving (its events are dropped and counted), and a
# signal still ends it; once the reader comes back, bye says how many events
# were lost.
. "$TOP/tests/lib.sh"
DEMO="$DEMOS/unix-socket"
command -v nc >/dev/null || { skip "nc is not installed"; exit 0; }
export IPCSCOPE_MSG_RATE=0   # every message traced: the pipe fills fast

mkfifo ev
exec 7<>ev                   # a reader that holds the pipe open and reads nothing
"$DEMO" --listen "$PWD/s.sock" --json >ev 2>err 7>&- &
demo=$!
i=0; while [ ! -S s.sock ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
[ -S s.sock ] || fail "the server never listened"

# Far more events than a 64 KiB pipe holds: each client is accepted, named,
# answered and closed, a few events each.
answered=0
for n in $(seq 300); do
    out=$(printf 'ping %s\n' "$n" | timeout 10 nc -U -N "$PWD/s.sock" 2>/dev/null)
    [ "$out" = "pong: ping $n" ] || break   # a frozen server: stop at the first silence
    answered=$((answered + 1))
done
[ "$answered" -eq 300 ] && pass "with nobody reading its events, the server answered 300 of 300 clients" \
    || fail "with a stalled event reader, only $answered of 300 clients were answered"

# The reader comes back: one more client, whose events prove the pipe has
# room again; then SIGTERM, and bye says how many events were lost.
cat ev >got.json 7>&- &   # without our fd 7, a writer, or it never sees EOF
cat_pid=$!
printf 'ping last\n' | timeout 10 nc -U -N "$PWD/s.sock" >/dev/null 2>&1
i=0; while ! jq -e 'select(.summary=="pong: ping last")' got.json >/dev/null 2>&1 && [ $i -lt 300 ]; do
    sleep 0.1; i=$((i + 1))
done
kill -TERM $demo
wait_bounded $demo 10; rc=$?
[ $rc -eq 0 ] && pass "SIGTERM ends it at once, exit 0" || fail "SIGTERM: exit $rc"
exec 7>&-
wait_bounded $cat_pid 10
lost=$(field got.json bye events_dropped)
[ -n "$lost" ] && [ "$lost" -gt 0 ] && pass "bye says $lost events were dropped while nobody read" \
    || fail "bye does not count the dropped events: '$lost'"
rm -f ev
