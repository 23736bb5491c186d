# lib/channel against itself and against node v20, both ways: hello, Chinese
# and U+2028, a 2 MiB message, a listening socket passed with its message and
# serving a real TCP client, disconnect seen by both sides, exit codes.
. "$TOP/tests/lib.sh"
PEER="$HELPERS/chanpeer"
JS="$TOP/tests/helpers/chanpeer.js"

run() {
    name=$1; shift
    if timeout 120 "$@" >out.txt 2>err.txt; then
        pass "$name ($(grep -c '^ok' out.txt) steps)"
    else
        fail "$name"; sed 's/^/      /' out.txt err.txt
    fi
}

run "C parent, C child, with a malformed line" "$PEER" parent --malformed "$PEER" child
grep -q 'C child: disconnect (EOF)' err.txt && pass "C child saw the disconnect" || fail "C child disconnect"
if command -v node >/dev/null; then
    run "C parent, node child" "$PEER" parent node "$JS" child
    grep -q 'node child: disconnect' err.txt && pass "node child saw the disconnect" || fail "node child disconnect"
    run "node parent forks the C child" node "$JS" parent "$PEER" child
    grep -q 'C child: disconnect (EOF)' err.txt && pass "C child saw node's disconnect" || fail "C child disconnect from node"
    run "node parent, node child (reference)" node "$JS" parent "$(command -v node)" "$JS" child
else
    skip "node pairings: node is not installed"
fi
