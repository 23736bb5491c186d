// node's cluster doing what bench_relay does: worker 1 times N round trips
// with the primary, then N relayed through it to worker 2 and back, and
// prints one JSON line each, as bench_relay does.
//   node bench/node_cluster_relay.js N
'use strict';
const cluster = require('cluster');
const n = Number(process.argv[2]) || 1000;

if (cluster.isPrimary) {
  const workers = [cluster.fork(), cluster.fork()];
  for (const w of workers) {
    w.on('message', (msg) => {
      if (msg.type !== 'send-to-other') return w.send(msg); // direct: answered here
      const target = cluster.workers[msg.target];
      if (target) target.send({ from: w.id, data: msg.data }); // the article's relay
    });
  }
  workers[0].on('exit', () => workers[1].disconnect());
} else if (cluster.worker.id === 2) {
  process.on('message', () => process.send({ type: 'send-to-other', target: 1, data: 'back' }));
} else {
  const times = [];
  let relaying = false, warmup = n / 10, t0 = 0n;
  const sendOne = () => {
    t0 = process.hrtime.bigint();
    process.send({ type: relaying ? 'send-to-other' : 'direct', target: 2, data: 'Hello from worker 1!' });
  };
  const report = (what) => {
    times.sort((a, b) => a - b);
    const at = (p) => times[Math.min(times.length - 1, Math.ceil(times.length * p / 100) - 1)];
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    console.log(JSON.stringify({ what, n: times.length, p50: at(50), p99: at(99), mean: Math.round(mean) }));
  };
  process.on('message', () => {
    const rtt = Number(process.hrtime.bigint() - t0);
    if (warmup > 0) warmup--; else times.push(rtt);
    if (times.length < n) return sendOne();
    report(relaying ? 'relayed, worker 1 -> primary -> worker 2 and back' : 'direct, worker 1 -> primary -> worker 1');
    if (relaying) return process.disconnect();
    relaying = true; warmup = n / 10; times.length = 0;
    sendOne();
  });
  sendOne();
}
