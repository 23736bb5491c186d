# A run killed with SIGKILL cannot remove its private directory and socket
# file; the next run of any demo that makes one sweeps it (lib/addr), and a
# live run's directory is never touched.
. "$TOP/tests/lib.sh"
DEMO="$DEMOS/unix-socket"
unset XDG_RUNTIME_DIR   # the private directories go in this test's TMPDIR

"$DEMO" --json --clients 1 --count 100000 --rate 20 >k.json 2>k.err &
victim=$!
wait_for k.json '"dir":"recv"' || fail "the first run never got going"
dir=$(ls -d "$TMPDIR"/ipcscope-unix-socket.* 2>/dev/null | head -1)
[ -S "$dir/server.sock" ] && pass "a live run has its directory and socket file" || fail "no socket in '$dir'"
kill -9 $victim; wait $victim 2>/dev/null
i=0; while pgrep -f "unix-socket --role" >/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -d "$dir" ] && pass "SIGKILL leaves the directory behind" || fail "the directory went with SIGKILL?"

# A second run, alive while a third starts: the third sweeps the dead one only.
"$DEMO" --json --clients 1 --count 100000 --rate 20 >l.json 2>l.err &
live=$!
wait_for l.json '"dir":"recv"' || fail "the live run never got going"
ldir=$(ls -d "$TMPDIR"/ipcscope-unix-socket.* | grep -v "^$dir\$" | head -1)
"$DEMO" --json --clients 1 --count 3 >n.json 2>n.err; rc=$?
[ $rc -eq 0 ] && pass "the next run works" || fail "the next run: exit $rc"
[ ! -e "$dir" ] && pass "the dead run's directory and socket file are swept" || fail "still there: $(ls -la "$dir")"
[ -S "$ldir/server.sock" ] && pass "the live run's directory is left alone" || fail "the live run lost '$ldir'"
kill -TERM $live; wait_bounded $live 30
[ -z "$(ls -d "$TMPDIR"/ipcscope-unix-socket.* 2>/dev/null)" ] && pass "nothing left at the end" \
    || fail "left: $(ls -d "$TMPDIR"/ipcscope-unix-socket.*)"
