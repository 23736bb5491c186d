// node_fork_pingpong.js: node's own fork IPC on the same work as
// bench_channel: N round trips of one 64-byte JSON line, after N/10 to warm up.
//   node node_fork_pingpong.js N        node parent, node child
//   node node_fork_pingpong.js child    the echoing child (also used with a C parent)
'use strict';
const { fork } = require('child_process');

if (process.argv[2] === 'child') {
  process.on('message', (m) => process.send(m));
  process.on('disconnect', () => process.exit(0));
} else {
  const n = Number(process.argv[2] || 20000);
  const warm = Math.floor(n / 10);
  const msg = JSON.parse('{"type":"ping","id":1234567,"pad":"' + 'x'.repeat(26) + '"}');
  // BENCH_CHILD_CPU pins the child the way the other contenders' are pinned:
  // fork() runs execPath with the module path after execArgv, so taskset runs node.
  const cpu = process.env.BENCH_CHILD_CPU;
  const c = cpu
    ? fork(__filename, ['child'], { execPath: 'taskset', execArgv: ['-c', cpu, process.execPath] })
    : fork(__filename, ['child'], { execArgv: [] });
  const rtts = [];
  let i = 0;
  let t0;
  const ping = () => { t0 = process.hrtime.bigint(); c.send(msg); };
  c.on('message', () => {
    const rtt = Number(process.hrtime.bigint() - t0);
    if (i++ >= warm) rtts.push(rtt);
    if (rtts.length < n) ping();
    else {
      c.disconnect();
      rtts.sort((a, b) => a - b);
      const at = (p) => rtts[Math.max(0, Math.ceil((p / 100) * rtts.length) - 1)];
      const mean = rtts.reduce((a, b) => a + b, 0) / rtts.length;
      console.log(JSON.stringify({ what: 'node parent, node child', n: rtts.length, p50: at(50), p99: at(99), mean: Math.round(mean), bytes: JSON.stringify(msg).length + 1 }));
    }
  });
  ping();
}
