# The http demo on two hosts: two network namespaces joined by a veth pair,
# the server in one bound with --listen to its veth address, the client in
# the other with --connect, and curl there too (a request, then /events).
# Needs root (ip netns); skipped with the reason otherwise. The namespaces
# are deleted on every way out (a trap), and the test checks that they are.
. "$TOP/tests/lib.sh"
DEMO="$DEMOS/http"
export IPCSCOPE_MSG_RATE=0

if [ "$(id -u)" -ne 0 ]; then
    skip "two hosts: needs root to make network namespaces"; exit 0
elif ! command -v ip >/dev/null; then
    skip "two hosts: no ip command (iproute2)"; exit 0
fi
A="ipcscope-http-a-$$" B="ipcscope-http-b-$$" VA="vha$$" VB="vhb$$"
SRV_IP=10.213.17.1 CLI_IP=10.213.17.2
nsrv=""
cleanup_ns() {
    [ -n "$nsrv" ] && kill -9 "$nsrv" 2>/dev/null
    ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null
    ip link del "$VA" 2>/dev/null # only when it never moved into $A
    return 0
}
trap cleanup_ns EXIT
trap 'cleanup_ns; exit 1' INT TERM
if ! ip netns add "$A" 2>/dev/null; then
    skip "two hosts: cannot make network namespaces here (ip netns add failed)"; exit 0
fi
if ip netns add "$B" && ip link add "$VA" type veth peer name "$VB" &&
    ip link set "$VA" netns "$A" && ip link set "$VB" netns "$B" &&
    ip -n "$A" addr add "$SRV_IP/24" dev "$VA" && ip -n "$B" addr add "$CLI_IP/24" dev "$VB" &&
    ip -n "$A" link set "$VA" up && ip -n "$B" link set "$VB" up &&
    ip -n "$A" link set lo up && ip -n "$B" link set lo up; then
    pass "two hosts: $A ($SRV_IP) and $B ($CLI_IP), a veth pair between"
    ip netns exec "$A" "$DEMO" --json --listen "$SRV_IP:0" >s.json 2>s.err &
    nsrv=$!
    if wait_event s.json step '.n == 1'; then
        port=$(events s.json hello | jq -r '.params.port')
        [ "$(events s.json hello | jq -r '.params.listen')" = "$SRV_IP:$port" ] \
            && pass "the server in $A listens on $SRV_IP:$port" || fail "listen: $(events s.json hello | jq -c .params)"
        timeout 60 ip netns exec "$B" "$DEMO" --json --connect "http://$SRV_IP:$port/" --count 3 --rate 0 >c.json 2>c.err; rc=$?
        [ $rc -eq 0 ] && has_event c.json bye '.summary.round_trips == 3 and .summary.failed == 0' \
            && pass "the client in $B: 3 answers across the veth pair" || { fail "client in $B: exit $rc"; cat c.err; }
        cpid=$(field c.json bye pid)
        [ "$(json_count s.json msg ".dir == \"recv\" and .from == $cpid and .summary == \"GET /\"")" = 3 ] \
            && pass "the server in $A traced the 3 GETs from the client's lane" || fail "server trace of $cpid"
        if command -v curl >/dev/null; then
            out=$(ip netns exec "$B" curl -s -m 10 "http://$SRV_IP:$port/")
            [ "$out" = pong ] && pass "curl in $B -> pong" || fail "curl in $B: '$out'"
            ip netns exec "$B" timeout 3 curl -sN "http://$SRV_IP:$port/events" >sse.out 2>/dev/null
            grep -q '^data: tick ' sse.out && pass "curl -N in $B reads the server's events" || fail "curl -N in $B"
        fi
        out=$(ip netns exec "$B" curl -s -m 5 "http://127.0.0.1:$port/" 2>&1); rc=$?
        [ $rc -ne 0 ] && pass "127.0.0.1:$port in $B is another host's loopback: refused" || fail "loopback in $B answered: $out"
        kill -TERM $nsrv; wait_bounded $nsrv 30; rc=$?; nsrv=""
        [ $rc -eq 0 ] && has_event s.json bye && pass "the server: SIGTERM, a bye, exit 0" || fail "server: exit $rc"
    else
        fail "the server in $A did not start"; cat s.err
    fi
else
    fail "two hosts: the veth pair could not be set up"
fi
cleanup_ns
ip netns list 2>/dev/null | grep -q "ipcscope-http-.-$$" && fail "a namespace is left" || pass "both namespaces deleted"
ip link show "$VA" >/dev/null 2>&1 && fail "veth $VA is left" || pass "no veth left"
