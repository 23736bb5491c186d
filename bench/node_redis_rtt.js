// node_redis_rtt.js: the pub/sub round trip of bench/message_queue.sh with
// node's `redis` package (v4, as article 004 uses it), the same shape as the
// demo's step 8 and bench_redis_rtt's floor: PUBLISH bench:ping, an echo
// process PUBLISHes it back on bench:pong, our subscription reads it.
//
//   node node_redis_rtt.js SOCK N      times N round trips after N/10 untimed,
//                                      prints {"what","n","p50","p99","mean"} (ns)
//   node node_redis_rtt.js echo SOCK   the echo (started by the first)
'use strict';
const { createClient } = require('redis');
const { spawn } = require('child_process');

const MSG = 'ping 12345 0123456789012345678901234567890123456789012345678901'; // 64 B

async function clients(path) {
  const pub = createClient({ socket: { path } });
  const sub = pub.duplicate(); // a subscribed connection can do nothing else
  await pub.connect();
  await sub.connect();
  return { pub, sub };
}

async function echo(path) {
  const { pub, sub } = await clients(path);
  await sub.subscribe('bench:ping', (m) => pub.publish('bench:pong', m));
}

async function main(path, n) {
  const child = spawn(process.execPath, [__filename, 'echo', path], { stdio: 'inherit' });
  const { pub, sub } = await clients(path);
  for (;;) { // the echo listens once PUBSUB NUMSUB says 1
    const r = await pub.sendCommand(['PUBSUB', 'NUMSUB', 'bench:ping']);
    if (Number(r[1]) > 0) break;
    await new Promise((ok) => setTimeout(ok, 1));
  }
  let answer = null;
  await sub.subscribe('bench:pong', () => answer());
  const lat = [];
  for (let i = -Math.floor(n / 10); i < n; i++) {
    const t0 = process.hrtime.bigint();
    const back = new Promise((ok) => { answer = ok; });
    await pub.publish('bench:ping', MSG);
    await back;
    if (i >= 0) lat.push(Number(process.hrtime.bigint() - t0));
  }
  lat.sort((a, b) => a - b);
  const pct = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
  const mean = lat.reduce((a, b) => a + b, 0) / lat.length;
  console.log(JSON.stringify({ what: 'node-redis', n, p50: pct(0.5), p99: pct(0.99), mean: Math.round(mean) }));
  child.kill('SIGKILL');
  await pub.quit();
  await sub.quit();
}

if (process.argv[2] === 'echo') echo(process.argv[3]);
else main(process.argv[2], Number(process.argv[3] || 1000));
