# cluster's C worker under a real node master: the article's master-worker.js
# (demos/cluster-article.js) run by node as the primary, its workers
# `cluster --as-worker` (IPCSCOPE_WORKER). Checked: node's own cluster lines
# as the C worker writes them; the article's timeline on node's console and
# the relay reaching worker 2; both workers on one port answering curl, with
# round robin and with NODE_CLUSTER_SCHED_POLICY=none; 400 and 431 for a bad
# request, after which the worker serves on; node's disconnect ending every
# worker with 0, and the master's death (SIGKILL) ending them too.
. "$TOP/tests/lib.sh"
DEMO="$DEMOS/cluster"
ARTICLE="$TOP/demos/cluster-article.js"
for tool in node curl; do
    command -v $tool >/dev/null || { skip "$tool is not installed"; exit 0; }
done
[ -x "$DEMO" ] || { fail "$DEMO is not built"; exit 0; }

# One request to the port: "worker 1 (pid 4242) 200", or " 000" when none came.
ask() { curl -s --max-time 20 -w ' %{http_code}' "http://127.0.0.1:$port/" | tr -d '\n'; echo; }

# The pid of worker N, from its narration on stderr ("[worker 1 4242] ...").
worker_pid() { sed -n "s/^\[worker $2 \([0-9]*\)\].*/\1/p" "$1" | head -1; }

# 0. Not forked by a master: a clear error, exit 1.
"$DEMO" --as-worker 2>alone.err; rc=$?
NODE_UNIQUE_ID=1 "$DEMO" --as-worker 2>>alone.err; rc2=$?
[ $rc -eq 1 ] && [ $rc2 -eq 1 ] && grep -q 'NODE_UNIQUE_ID=(unset): no worker id' alone.err \
    && grep -q 'no channel to a master (NODE_CHANNEL_FD)' alone.err \
    && pass "--as-worker with no NODE_UNIQUE_ID, or no channel: says so, exit 1" \
    || { fail "--as-worker alone: exit $rc and $rc2"; cat alone.err; }

# 1. The wire: one C worker under a node primary that prints every
#    NODE_CLUSTER message the worker sends, asks it one request, then
#    disconnects it. Ports differ from run to run; the rest is exact.
here=$PWD
out=$(cd "$TOP" && PORT=0 timeout 60 node -e "
  const cluster = require('cluster'), http = require('http');
  process.execPath = '$DEMO';
  cluster.setupPrimary({exec: '--as-worker', args: [], execArgv: []});
  const w = cluster.fork();
  w.process.on('internalMessage', (m) => {
    if (m.cmd === 'NODE_CLUSTER') console.log(JSON.stringify(m).replace(/\"port\":[1-9][0-9]*/, '\"port\":P'));
  });
  cluster.on('listening', (w, a) => http.get({host: '127.0.0.1', port: a.port, agent: false},
    (res) => { res.resume(); res.on('end', () => w.disconnect()); }));
  w.on('exit', (code, signal) => console.log('exit', signal || code));" 2>"$here/wire.err")
want='{"cmd":"NODE_CLUSTER","act":"online","seq":0}
{"cmd":"NODE_CLUSTER","act":"queryServer","index":0,"data":null,"address":"127.0.0.1","port":0,"addressType":4,"flags":0,"backlog":0,"seq":1}
{"cmd":"NODE_CLUSTER","act":"listening","index":0,"data":null,"address":"127.0.0.1","port":P,"addressType":4,"flags":0,"backlog":0,"seq":2}
{"cmd":"NODE_CLUSTER","ack":1,"accepted":true,"seq":3}
{"cmd":"NODE_CLUSTER","act":"close","key":"127.0.0.1:0:4:undefined:0","seq":4}
exit 0'
[ "$out" = "$want" ] && pass "wire: online, queryServer, listening, {ack, accepted}, close, as node's worker writes them; exit 0" \
    || { fail "wire: the worker wrote:"; echo "$out"; cat wire.err; }
grep -q 'Worker started, id=1' wire.err && grep -q 'queryServer: asking the master for 127.0.0.1:0' wire.err \
    && pass "wire: the C worker narrates on stderr, node's console stays the master's" \
    || { fail "wire: no narration on stderr"; cat wire.err; }

# 2. The article's master with two C workers, one port; 20 requests.
run_article() { # POLICY TAG: the master's run, checked; leaves $port and $tag.*
    pol=$1 tag=$2
    NODE_CLUSTER_SCHED_POLICY=$pol IPCSCOPE_WORKER="$DEMO" WORKERS=2 PORT=0 \
        END_AFTER_MS=${CLUSTER_END_MS:-15000} timeout 120 node "$ARTICLE" >"$tag.out" 2>"$tag.err" &
    node_pid=$!
    if wait_for "$tag.out" 'worker 1 listening on port' 600 && wait_for "$tag.out" 'worker 2 listening on port' 600; then
        port=$(sed -n 's/^worker 1 listening on port \([0-9]*\)$/\1/p' "$tag.out")
        grep -qx "worker 2 listening on port $port" "$tag.out" \
            && pass "$tag: both C workers listening on port $port (cluster.on('listening'))" \
            || fail "$tag: the workers listen on different ports"
    else
        fail "$tag: the workers did not both listen"; cat "$tag.out" "$tag.err"; port=0
    fi
    : >"$tag.answers"
    for i in $(seq 20); do
        ask >>"$tag.answers"
    done
    ok=$(grep -c '^worker [12] (pid [0-9]*) 200$' "$tag.answers")
    w1=$(grep -c '^worker 1 ' "$tag.answers") w2=$(grep -c '^worker 2 ' "$tag.answers")
    [ "$ok" -eq 20 ] && pass "$tag: 20 requests answered 200 by a C worker (worker 1: $w1, worker 2: $w2)" \
        || { fail "$tag: $ok of 20 requests answered 200"; cat "$tag.answers"; }
}

check_end() { # TAG SERVED: the timeline on node's console, the relay, the end
    tag=$1
    wait_bounded "$node_pid" 120; rc=$?
    [ $rc -eq 0 ] && pass "$tag: node's master exited 0 after cluster.disconnect()" || fail "$tag: node exit $rc"
    for id in 1 2; do
        grep -qF "Master received from worker $id: { type: 'worker-ready', id: $id, msg: 'Worker is ready!' }" "$tag.out" \
            || { fail "$tag: no worker-ready from worker $id on node's console"; cat "$tag.out"; }
        grep -qF "Worker $id received: {\"from\":\"master\",\"data\":\"Hello workers!\"}" "$tag.err" \
            || fail "$tag: worker $id missed the broadcast"
        grep -qx "worker $id exited (0)" "$tag.out" || fail "$tag: worker $id did not exit 0"
        pid=$(worker_pid "$tag.err" $id)
        [ -n "$pid" ] && wait_gone "$pid" || fail "$tag: worker $id ($pid) still there"
    done
    grep -qF "Master received from worker 1: { type: 'send-to-other', target: 2, data: 'Hello from worker 1!' }" "$tag.out" \
        && grep -qF 'Worker 2 received: {"from":1,"data":"Hello from worker 1!"}' "$tag.err" \
        && grep -qF 'Worker 1 received: {"from":"master","data":"Hello worker 1!"}' "$tag.err" \
        && pass "$tag: worker-ready, broadcast, unicast, and worker 1 -> master -> worker 2 relayed" \
        || { fail "$tag: the timeline is incomplete"; cat "$tag.out" "$tag.err"; }
    served=$(sed -n 's/^== done: worker [12]: requests served \([0-9]*\),.*/\1/p' "$tag.err" | awk '{s += $1} END {print s + 0}')
    [ "${served:-0}" -eq "$2" ] && pass "$tag: the workers' byes count $2 requests served; every worker gone" \
        || { fail "$tag: the byes count ${served:-none}, not $2"; grep '== done' "$tag.err"; }
}

run_article rr rr
[ "$w1" -gt 0 ] && [ "$w2" -gt 0 ] && pass "rr: the master's round robin spread the requests over both workers" \
    || fail "rr: one worker served everything (worker 1: $w1, worker 2: $w2)"
# 3. Bad requests to a C worker: 400 for what http-parser refuses, 431 for
#    headers past 8 KiB; each connection is closed, and the worker serves on.
big=$(head -c 9000 /dev/zero | tr '\0' a)
code=$(curl -s --max-time 20 -o /dev/null -w '%{http_code}' -H "X-Big: $big" "http://127.0.0.1:$port/")
[ "$code" = 431 ] && pass "a 9000-byte header: 431" || fail "a 9000-byte header: $code"
code=$(curl -s --max-time 20 -o /dev/null -w '%{http_code}' -X 'NOT-A-METHOD' "http://127.0.0.1:$port/")
[ "$code" = 400 ] && pass "a method http-parser does not know: 400" || fail "a bad method: $code"
after=$(for i in 1 2 3 4; do ask; done | grep -c '^worker [12] .* 200$')
[ "$after" -eq 4 ] && pass "after them both workers serve on: 4 of 4 answered 200" || fail "after the bad requests: $after of 4"
grep -q 'http: headers past 8 KiB (HPE_CB_header_value); answering 431' rr.err \
    && grep -q 'http: a malformed request (HPE_INVALID_METHOD); answering 400' rr.err \
    && pass "the workers narrate why they refused" || { fail "no narration of the refusals"; grep 'http:' rr.err; }
check_end rr 24

run_article none none
check_end none 20
grep -q 'the master sent a bound socket (SCHED_NONE)' none.err \
    && pass "none: the master passed the bound socket; each worker accepts from it (worker 1: $w1, worker 2: $w2)" \
    || fail "none: no bound socket came"

# 4. The master dies (SIGKILL, no disconnect): the workers read EOF, exit 0 at once.
IPCSCOPE_WORKER="$DEMO" WORKERS=2 node "$ARTICLE" >kill.out 2>kill.err & # killed below
node_pid=$!
if wait_for kill.err 'Worker 2 received: .*Hello workers' 600; then
    kill -9 "$node_pid"; wait "$node_pid" 2>/dev/null
    p1=$(worker_pid kill.err 1) p2=$(worker_pid kill.err 2)
    wait_gone "$p1" && wait_gone "$p2" && grep -q 'EOF with no disconnect: the master is gone' kill.err \
        && pass "the node master killed: both C workers read EOF and exited" \
        || { fail "workers $p1 $p2 outlived their master"; kill -9 "$p1" "$p2" 2>/dev/null; }
else
    fail "the kill run did not start"; kill -9 "$node_pid" 2>/dev/null
fi
