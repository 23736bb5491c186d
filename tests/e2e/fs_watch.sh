# fs-watch run headless (--json) and checked on its events: each of the
# eight steps; article 001's watch and parse of msg.json with the inotify fd
# shown; events per write counted (one pwrite against fs.writeFile's
# truncate + write); a torn read caught as an error and the watcher going
# on; the file's watch lost by a rename and the directory's watch seeing
# every save; coalesced events and IN_Q_OVERFLOW on a raw fd; polling; the
# three latencies measured. Then the faults (not JSON, 100 MB, a directory,
# the directory removed), SIGTERM, SIGKILL of either process, a quit from
# the control fd: no process and no private directory may be left.
. "$TOP/tests/lib.sh"
DEMO="$DEMOS/fs-watch"
export IPCSCOPE_MSG_RATE=0 # every msg event, so counts can be compared

# fig FILE PATH: a figure of the bye, e.g. fig f .torn.bad
fig() { events "$1" bye | jq -r ".summary$2"; }
# no_dir PID: no private directory of the run whose watcher was PID
no_dir() { [ -z "$(ls -d "$TMPDIR"/ipcscope-fs-watch-"$1".* 2>/dev/null)" ]; }
# writer FILE STEP: the pid of the writer that step N started
writer() {
    jq -nRr --argjson n "$2" '[inputs | fromjson? | objects | select(.ev == "step" or (.ev == "chan" and .id == "msg.json" and .state == "open"))]
        | (map(.ev == "step" and .n == $n) | index(true)) as $i | .[$i + 1:] | map(select(.ev == "chan"))[0].b' "$1"
}

timeout 180 "$DEMO" --json --count 5 --rate 20 --measure 100 >r.json 2>r.err
rc=$?; [ $rc -eq 0 ] && pass "default run: exit 0" || { fail "default run: exit $rc"; cat r.err; field r.json error reason; }
w=$(field r.json hello pid)
steps=$(field r.json step n | tr '\n' ' ')
[ "$steps" = "1 2 3 4 5 6 7 8 " ] && pass "all eight steps" || fail "steps were '$steps'"
others=$(json_count r.json error '.what != "parse"')
[ "$others" = 0 ] && pass "every error event is a parse error (what the steps provoke)" \
    || { fail "$others other errors:"; field r.json error reason '.what != "parse"'; }

# step 1: the article's watch and parse; the inotify fd and what it watches
has_event r.json log '.text | test("^mkdtemp\\(.*/ipcscope-fs-watch-[0-9]+\\.[A-Za-z0-9]{6}\\) -> mode 0700")' \
    && pass "step 1: a private 0700 directory (mkdtemp)" || fail "no mkdtemp narrated"
has_event r.json log ".text | test(\"^/proc/$w/fd/[0-9]+ -> anon_inode:inotify; fdinfo: inotify wd:[0-9]+ ino:\")" \
    && pass "step 1: the inotify fd in /proc/$w/fd, with the inode it watches" || fail "no inotify fd shown"
[ "$(fig r.json .article.writes)" = 3 ] && [ "$(fig r.json .article.parsed)" -ge 1 ] \
    && pass "step 1: 3 saves, $(fig r.json .article.events) events, $(fig r.json .article.parsed) parsed, $(fig r.json .article.bad) not JSON" \
    || fail "article: $(events r.json bye | jq -c .summary.article)"
w1=$(writer r.json 1)
has_event r.json msg ".pid == $w1 and .dir == \"send\" and .chan == \"msg.json\" and .to == $w" \
    && has_event r.json msg ".pid == $w and .dir == \"recv\" and .chan == \"msg.json\" and .from == $w1 and .lat > 0" \
    && pass "step 1: writer $w1 -> watcher $w on msg.json, each parse timed" || fail "no writer -> watcher messages"

# step 2: events per write
ie=$(fig r.json .several.inplace_events) we=$(fig r.json .several.writefile_events) wb=$(fig r.json .several.writefile_bad)
[ "$(fig r.json .several.inplace_writes)" = 10 ] && [ "$ie" -ge 1 ] && [ "$we" -ge "$ie" ] \
    && pass "step 2: 10 pwrite()s made $ie events; 10 fs.writeFile saves made $we ($wb read the file empty)" \
    || fail "several: pwrite $ie, writeFile $we"

# step 3: the torn read is an error event, and the watcher goes on
tb=$(fig r.json .torn.bad)
[ "$tb" -ge 1 ] && has_event r.json error '.what == "parse" and (.reason | test("^file watch read [0-9]+ bytes, not JSON"))' \
    && pass "step 3: $tb torn reads caught as parse errors" || fail "no torn read: $tb"
[ "$(fig r.json .torn.parsed)" -ge 3 ] && pass "step 3: the watcher went on and parsed the 3 whole messages" \
    || fail "torn parsed: $(fig r.json .torn.parsed)"

# step 4: the lost watch and the fix
lost=$(fig r.json .renamed.lost)
dp=$(( $(fig r.json .renamed.dir_parsed) - $(fig r.json .renamed.dir_again) ))
[ "$lost" -ge 1 ] && pass "step 4: the file's watch lost $lost of 5 saves by rename" || fail "renamed: lost $lost"
[ "$dp" = 5 ] && [ "$(fig r.json .renamed.dir_bad)" = 0 ] \
    && pass "step 4: the directory's watch saw all 5, none torn" || fail "renamed: dir saw $dp"

# step 5: coalesced, then IN_Q_OVERFLOW
cw=$(fig r.json .coalesce.writes) ce=$(fig r.json .coalesce.events)
[ "$cw" = 1000 ] && [ "$ce" -le "$cw" ] && [ "$(fig r.json .coalesce.parsed)" -ge 1 ] \
    && pass "step 5: 1000 writes in a row, $ce events, $(fig r.json .coalesce.skipped) messages never seen" \
    || fail "coalesce: $cw writes, $ce events"
mq=$(cat /proc/sys/fs/inotify/max_queued_events)
if [ "$mq" -le 1000000 ]; then
    [ "$(fig r.json .overflow.overflows)" = 1 ] && [ "$(fig r.json .overflow.events)" -le "$mq" ] \
        && pass "step 5: IN_Q_OVERFLOW after $(fig r.json .overflow.events) events (max_queued_events $mq)" \
        || fail "overflow: $(events r.json bye | jq -c .summary.overflow)"
else
    skip "max_queued_events $mq: too large to fill"
fi

# step 6: polling
[ "$(fig r.json .polling.interval_ms)" = 100 ] && [ "$(fig r.json .polling.poll_parsed)" -ge 1 ] \
    && [ "$(fig r.json .polling.poll_p50_ns)" -gt 0 ] \
    && pass "step 6: polling every 100 ms saw $(fig r.json .polling.poll_parsed) of 8, p50 $(fig r.json .polling.poll_p50_ns) ns" \
    || fail "polling: $(events r.json bye | jq -c .summary.polling)"

# step 7: measured
for way in inotify poll pipe; do
    n=$(fig r.json ".measure.${way}_count") p=$(fig r.json ".measure.${way}_p50_ns") q=$(fig r.json ".measure.${way}_p99_ns")
    [ "$n" -gt 0 ] && [ "$p" -gt 0 ] && [ "$q" -ge "$p" ] && pass "step 7: $way: $n timed, p50 $p ns, p99 $q ns" \
        || fail "$way: $n timed, p50 $p"
done
field r.json bye text | grep -q "write -> parsed p50: inotify .*, polling .*, a pipe " \
    && pass "the bye names the three p50s" || fail "bye text: $(field r.json bye text)"

# step 8: the steady part: 5 messages from the writer, 5 parses
w8=$(writer r.json 8)
s=$(json_count r.json msg ".pid == $w8 and .dir == \"send\"")
g=$(json_count r.json msg ".pid == $w and .dir == \"recv\" and .from == $w8 and .lat > 0")
[ "$s" = 5 ] && [ "$g" = 5 ] && [ "$(fig r.json .round_trips)" = 5 ] \
    && pass "step 8: writer $w8 saved 5, the watcher parsed and timed 5" || fail "steady: sent $s, parsed $g"
has_event r.json proc ".state == \"exit\" and .proc == $w8 and .code == 0" && pass "the writer exited 0" || fail "writer's exit"
no_dir "$w" && pass "no private directory left" || fail "left: $(ls -d "$TMPDIR"/ipcscope-fs-watch-*)"

# faults, once the steady part runs: the watcher says what happened
run_fault() { # KIND: a run with --fault KIND until its bye
    "$DEMO" --json --count 1000000 --rate 20 --measure 0 --fault "$1" >"f$1.json" 2>"f$1.err" &
    _p=$!
    wait_event "f$1.json" error "$2" 900 && ok=1 || ok=0
    sleep 1.5 # a fault's end (dir: a second) before the end of the run
    kill -TERM $_p 2>/dev/null
    wait_bounded $_p 60; rc=$?
}
run_fault notjson '.what == "parse" and (.reason | test("not JSON: hello, not JSON"))'
[ $ok = 1 ] && [ $rc -eq 0 ] && pass "fault notjson: a parse error, the run goes on and ends cleanly" || fail "notjson: $ok, exit $rc"
run_fault huge '.reason | test("msg.json is 104857600 bytes, over --max-read 1048576: refused")'
[ $ok = 1 ] && [ $rc -eq 0 ] && pass "fault huge: 100 MB refused before a byte is read" || fail "huge: $ok, exit $rc"
run_fault dir '.reason | test("not a regular file")'
[ $ok = 1 ] && has_event fdir.json error '.what == "write" and (.reason | test("Is a directory"))' \
    && has_event fdir.json log '.text | test("^fault over")' && [ $rc -eq 0 ] \
    && pass "fault dir: said, and healed" || fail "dir: $ok, exit $rc"
timeout 180 "$DEMO" --json --count 1000000 --rate 20 --measure 0 --fault rmdir >frm.json 2>frm.err
rc=$?
[ $rc -eq 1 ] && has_event frm.json error '.reason | test("the watched directory .* is gone")' && has_event frm.json bye \
    && pass "fault rmdir: the watcher says the directory is gone and ends, exit 1" || fail "rmdir: exit $rc"
for k in notjson huge dir rm; do
    p=$(field "f$k.json" hello pid)
    [ -n "$p" ] && no_dir "$p" || fail "fault $k left its directory"
done
[ -z "$(ls -d "$TMPDIR"/ipcscope-fs-watch-* 2>/dev/null)" ] && pass "faults: no directory left"

# start_mid_run FILE: an endless run until the steady part's parses flow;
# sets $demo, $w8
start_mid_run() {
    "$DEMO" --json --count 1000000 --rate 50 --measure 0 >"$1" 2>"$1.err" &
    demo=$!
    if wait_event "$1" step '.n == 8' 900; then
        wait_event "$1" chan '.id == "msg.json" and .state == "open"' 50 # the step's writer
        w8=$(writer "$1" 8)
        wait_event "$1" msg ".from == $w8 and .dir == \"recv\"" 300 && return 0
    fi
    fail "no steady part in $1"; kill -9 $demo; wait $demo; return 1
}

if start_mid_run t.json; then
    kill -TERM $demo
    wait_bounded $demo 60; rc=$?
    [ $rc -eq 0 ] && has_event t.json bye && has_event t.json proc ".state == \"exit\" and .proc == $w8 and .code == 0" \
        && pass "SIGTERM: both wind down, a summary, exit 0" || fail "SIGTERM: exit $rc"
    wait_gone "$w8" && no_dir "$demo" && pass "SIGTERM: nothing left" || fail "SIGTERM: left something"
fi

if start_mid_run kw.json; then
    kill -KILL "$w8"
    wait_bounded $demo 60; rc=$?
    [ $rc -eq 1 ] && has_event kw.json error '.what == "writer"' && has_event kw.json bye \
        && pass "writer SIGKILLed: the watcher says so, a summary, exit 1" || fail "writer killed: exit $rc"
    no_dir "$demo" && pass "writer SIGKILLed: no directory left" || fail "writer killed: directory left"
fi

# the watcher SIGKILLed: the writer dies with it; its directory stays, and
# the next run sweeps it
if start_mid_run kk.json; then
    kill -KILL $demo
    wait $demo 2>/dev/null
    wait_gone "$w8" && pass "watcher SIGKILLed: the writer goes too" || { fail "writer $w8 left"; kill -9 "$w8"; }
    timeout 180 "$DEMO" --json --count 1 --measure 0 >sw.json 2>sw.err
    no_dir "$demo" && has_event sw.json log '.text | test("^removed 1 director")' \
        && pass "the killed run's directory is swept by the next run, and said" || fail "sweep: $(ls -d "$TMPDIR"/ipcscope-fs-watch-*)"
fi

# quit from the dashboard's control fd, in step mode, mid-lesson
mkfifo ctl
exec 6<>ctl
IPCSCOPE_CONTROL_FD=5 "$DEMO" --json --step --measure 0 5<ctl >q.json 2>q.err &
demo=$!
wait_event q.json step '.n == 1 and .waiting == true' && pass "--step: step 1 waits" || fail "step 1 not waiting"
echo '{"cmd":"step"}' >&6
wait_event q.json step '.n == 2 and .waiting == true' 300 && pass "--step: step 1 done, step 2 waits" || fail "no step 2"
echo '{"cmd":"quit"}' >&6
wait_bounded $demo 60; rc=$?
[ $rc -eq 0 ] && has_event q.json bye && no_dir "$demo" && pass "quit mid-lesson: a summary, exit 0, nothing left" \
    || fail "quit: exit $rc"
exec 6>&-
rm -f ctl

out=$("$DEMO" --poll-ms 0 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q "poll-ms" && pass "--poll-ms 0: refused, exit 2" || fail "--poll-ms 0: $rc $out"
"$DEMO" --describe | jq -e '.name == "fs-watch" and (.faults | index("rmdir"))' >/dev/null \
    && pass "--describe is JSON with its name and faults" || fail "--describe"
