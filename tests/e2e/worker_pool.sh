# worker-pool run headless (--json) and checked on its events: each of the
# seven steps; article 004's pool with every task on worker thread 1 and the
# answer 249500250000; the real queue spreading its tasks over all four
# worker threads (each a lane of its own); libuv's pool; the 10 ms timer late
# on the main thread and not on the pool; the process pool's start/ok, a
# child killed mid-task (--fault kill), replaced, its task retried; the
# measured tasks per second; the steady part's tasks and their latencies.
# Then the dashboard's fault, SIGTERM, SIGKILL of the first process, and a
# quit in step mode: no process may be left.
. "$TOP/tests/lib.sh"
DEMO="$DEMOS/worker-pool"
export IPCSCOPE_MSG_RATE=0 # every msg event, so counts can be compared

fig() { events "$1" bye | jq -r ".summary$2"; }
# children FILE: the pids of the process pool's children, one a line
children() { jq -r 'select(.ev=="proc" and .state=="start" and (.role // "" | startswith("child"))) | .proc // .pid' "$1" 2>/dev/null | sort -u; }

timeout 120 "$DEMO" --json --count 10 --tasks 40 --fault kill --measure 50 >r.json 2>r.err
rc=$?; [ $rc -eq 0 ] && pass "run with --fault kill --measure 50: exit 0" || { fail "run: exit $rc"; cat r.err; field r.json error reason; }
steps=$(field r.json step n | tr '\n' ' ')
[ "$steps" = "1 2 3 4 5 6 7 " ] && pass "all seven steps" || fail "steps were '$steps'"
! has_event r.json error && pass "no error event" || { fail "errors:"; field r.json error reason; }
main=$(field r.json hello pid)

# step 1: the article's pool, every task to workerPool[0]
[ "$(fig r.json .article.per_worker | jq -c .)" = "[40,0,0,0]" ] \
    && pass "article's pool: tasks per worker 40 0 0 0 (one busy lane, three idle)" \
    || fail "article per worker: $(fig r.json .article.per_worker | jq -c .)"
[ "$(fig r.json .article.result)" = 249500250000 ] && has_event r.json log '.text | startswith("Received result: 249500250000")' \
    && pass "heavyCalculation(1000) = 249500250000, logged \"Received result: ...\"" || fail "article result: $(fig r.json .article.result)"

# step 2: the real queue, spread over all four
per=$(fig r.json .queue.per_worker | jq -c .)
[ "$(fig r.json '.queue.per_worker | length')" = 4 ] && [ "$(fig r.json '.queue.per_worker | all(. > 0)')" = true ] \
    && [ "$(fig r.json '.queue.per_worker | add')" = 40 ] \
    && pass "real queue: 40 tasks spread over all four workers ($per)" || fail "queue per worker: $per"
lanes=0
for w in 1 2 3 4; do
    has_event r.json msg ".from == \"worker thread $w\" and .dir == \"send\" and .summary == \"249500250000\"" \
        && has_event r.json msg ".to == \"worker thread $w\" and .pid == $main and .dir == \"send\" and (.summary | contains(\"heavyCalculation\"))" \
        && lanes=$((lanes + 1))
done
[ $lanes = 4 ] && pass "each worker thread is a lane: the task to it, its answer from it" || fail "$lanes of 4 worker threads are lanes"
n=$(json_count r.json msg '.dir == "recv" and .to == '"$main"' and (.from | type == "string") and (.from | startswith("worker thread")) and .lat > 0')
[ "$n" = 90 ] && pass "90 answers back on the main thread, each with its latency (40 + 40 + 10)" || fail "timed answers: $n"

# step 3: libuv's pool
[ "$(fig r.json '.uv.per_thread | add')" = 40 ] && has_event r.json log '.text | test("UV_THREADPOOL_SIZE")' \
    && pass "uv_queue_work: 40 tasks over libuv's threads ($(fig r.json .uv.per_thread | jq -c .)), UV_THREADPOOL_SIZE named" \
    || fail "uv pool: $(fig r.json .uv.per_thread)"

# step 4: the event loop
main_late=$(fig r.json .loop.main_late_ms) pool_late=$(fig r.json .loop.pool_late_ms) block=$(fig r.json .loop.block_ms)
[ "$(fig r.json '.loop | .main_late_ms > .pool_late_ms')" = true ] \
    && pass "10 ms timer: ${main_late} ms late behind a ${block} ms loop on the main thread, ${pool_late} ms on the pool" \
    || fail "timer lateness: main $main_late, pool $pool_late"

# step 5: the process pool, a child killed mid-task
ok=$(json_count r.json msg '.pid == '"$main"' and .dir == "recv" and .summary == "{\"result\":\"ok\"}"')
start=$(json_count r.json msg '.pid == '"$main"' and .dir == "send" and .summary == "{\"type\":\"start\",\"payload\":123}"')
[ "$start" -ge 5 ] && [ "$ok" -ge 5 ] && pass "{type:'start', payload:123} answered {result:'ok'} (4 children and the replacement; measurement not traced)" \
    || fail "start $start, ok $ok"
[ "$(fig r.json .procs.retried)" = 1 ] && [ "$(fig r.json .procs.replaced)" = 1 ] && [ "$(fig r.json .procs.answered)" = 40 ] \
    && has_event r.json proc '.state == "exit" and .signal == "SIGKILL"' \
    && pass "--fault kill: a child SIGKILLed mid-task, replaced, its task retried; 40 answered" \
    || fail "procs: $(fig r.json .procs | jq -c .)"

# step 6: measured
cores=$(nproc)
[ "$(fig r.json .measure.cores)" = "$cores" ] && [ "$(fig r.json '.measure | [.threads[], .processes[]] | map(.tasks_per_s > 0 and .p50_ms > 0) | all')" = true ] \
    && [ "$(fig r.json '.measure.threads | map(.workers) | tostring')" = "[1,2,4,8]" ] \
    && pass "measured on $cores cores: threads $(fig r.json '.measure.threads | map(.tasks_per_s | floor) | tostring') tasks/s, processes $(fig r.json '.measure.processes | map(.tasks_per_s | floor) | tostring')" \
    || fail "measure: $(fig r.json .measure | jq -c .)"
field r.json bye text | grep -q "tasks/s for 1, 2, 4, 8 workers: threads .* $cores cores: past $cores workers" \
    && pass "the bye gives the figures and the core count" || fail "bye text: $(field r.json bye text)"

# step 7: the steady part
[ "$(fig r.json .steady.tasks)" = 10 ] && pass "steady part: 10 tasks answered" || fail "steady: $(fig r.json .steady.tasks)"
for c in $(children r.json); do
    gone "$c" || fail "child $c left running"
done
pass "every child of the run is gone"

# the dashboard's fault: kill during the steady part; then SIGTERM
mkfifo ctl
exec 6<>ctl
IPCSCOPE_CONTROL_FD=5 "$DEMO" --json --count 1000000 --rate 20 --tasks 4 5<ctl >f.json 2>f.err &
demo=$!
wait_event f.json log '.text | test("tasks to the queue at --rate")' 600 || fail "no steady part in f.json"
echo '{"cmd":"fault","kind":"kill"}' >&6
wait_event f.json log '.text | startswith("after the fault")' 300 \
    && has_event f.json log '.text | startswith("fault kill: SIGKILL to child")' \
    && pass "fault kill from the control fd: a child killed mid-task, its work done by the pool" \
    || fail "dashboard fault: $(field f.json log text | grep -i fault)"
wait_event f.json proc '.state == "start" and .role == "child 5"' && pass "the killed child is replaced (child 5)" \
    || fail "no child 5"
kill -TERM $demo
wait_bounded $demo 60; rc=$?
[ $rc -eq 0 ] && has_event f.json bye && pass "SIGTERM: the pool winds down, a summary, exit 0" || fail "SIGTERM: exit $rc"
for c in $(children f.json); do wait_gone "$c" || fail "SIGTERM: child $c left"; done

# SIGKILL of the first process: its children die with it (PR_SET_PDEATHSIG)
"$DEMO" --json --count 1000000 --rate 20 --tasks 4 >k.json 2>k.err &
demo=$!
wait_event k.json log '.text | test("tasks to the queue at --rate")' 600 || fail "no steady part in k.json"
kill -KILL $demo; wait $demo 2>/dev/null
left=0
for c in $(children k.json); do wait_gone "$c" || { left=1; kill -9 "$c"; }; done
[ $left -eq 0 ] && pass "SIGKILL of the first process: every child goes too" || fail "SIGKILL: children left"

# quit in step mode, mid-lesson (the process pool up)
IPCSCOPE_CONTROL_FD=5 "$DEMO" --json --step --tasks 4 5<ctl >q.json 2>q.err &
demo=$!
wait_event q.json step '.n == 1 and .waiting == true' && pass "--step: step 1 waits" || fail "step 1 not waiting"
for i in 1 2 3 4 5; do echo '{"cmd":"step"}' >&6; done
wait_event q.json step '.n == 6 and .waiting == true' && pass "--step: five steps on, the process pool is up" || fail "no step 6"
echo '{"cmd":"quit"}' >&6
wait_bounded $demo 60; rc=$?
[ $rc -eq 0 ] && has_event q.json bye && pass "quit mid-lesson: a summary, exit 0" || fail "quit: exit $rc"
for c in $(children q.json); do wait_gone "$c" || fail "quit: child $c left"; done
exec 6>&-
rm -f ctl

out=$("$DEMO" --workers 9 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q "workers" && pass "--workers 9: refused, exit 2" || fail "--workers 9: $rc $out"
"$DEMO" --describe | jq -e '.name == "worker-pool" and (.faults | index("kill"))' >/dev/null \
    && pass "--describe is JSON with its name and the kill fault" || fail "--describe: $("$DEMO" --describe)"
