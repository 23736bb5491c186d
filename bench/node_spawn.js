// node_spawn.js: node's child_process on the same work as bench_pipe and the
// stdio-pipe demo, each printing one JSON line.
//   node node_spawn.js pingpong N SIZE  spawn a node child that writes back
//                                       what arrives on its stdin; N round
//                                       trips of one line, after N/10 to warm up
//   node node_spawn.js throughput BYTES once the child says "ready",
//                                       child.stdin.write() of 64 KiB pieces,
//                                       waiting for 'drain' when write() says
//                                       false; the child counts to 'end'
//   node node_spawn.js start N KIND     KIND spawn, execFile or exec of
//                                       'uname -s', output collected, N times;
//                                       or fork: a node child with its IPC
//                                       channel, until it exits
//   node node_spawn.js echo | sink      the children
'use strict';
const { spawn, exec, execFile, fork } = require('child_process');

const mode = process.argv[2];
const now = () => process.hrtime.bigint();
const pct = (v, p) => v[Math.max(0, Math.ceil((p / 100) * v.length) - 1)];
const child = (role) => spawn(process.execPath, [__filename, role], { stdio: ['pipe', 'pipe', 'inherit'] });

if (mode === 'echo') {
  process.stdin.on('data', (d) => process.stdout.write(d));
} else if (mode === 'quit') {
  process.disconnect(); // a forked child that leaves at once: fork's start cost
} else if (mode === 'sink') {
  let n = 0;
  process.stdout.write('ready\n'); // the parent's clock starts now
  process.stdin.on('data', (d) => { n += d.length; });
  process.stdin.on('end', () => process.stdout.write(`read ${n} bytes\n`));
} else if (mode === 'pingpong') {
  const n = Number(process.argv[3] || 20000);
  const size = Number(process.argv[4] || 64);
  const warm = Math.floor(n / 10);
  const pad = 'x'.repeat(size);
  const c = child('echo');
  const rtts = [];
  let i = 0;
  let t0 = 0n;
  let pending = 0;
  let bytes = 0;
  const ping = () => {
    t0 = now();
    const line = `ping ${i + 1} ${t0} ${pad}\n`;
    bytes = Buffer.byteLength(line);
    pending = bytes;
    c.stdin.write(line);
  };
  c.stdout.on('data', (d) => {
    pending -= d.length;
    if (pending > 0) return;
    const rtt = Number(now() - t0);
    if (i++ >= warm) rtts.push(rtt);
    if (rtts.length < n) { ping(); return; }
    c.stdin.end();
    rtts.sort((a, b) => a - b);
    console.log(JSON.stringify({ what: 'node spawn ping-pong', n: rtts.length, p50: pct(rtts, 50), p99: pct(rtts, 99), bytes }));
  });
  ping();
} else if (mode === 'throughput') {
  const total = Number(process.argv[3] || 128 * 1024 * 1024);
  const chunk = Buffer.alloc(64 * 1024, 'x');
  const c = child('sink');
  let sent = 0;
  let t0 = 0n;
  const pump = () => {
    while (sent < total) {
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      if (!c.stdin.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
        c.stdin.once('drain', pump);
        return;
      }
    }
    c.stdin.end();
  };
  c.stdout.on('data', (d) => {
    if (!t0 && d.toString().startsWith('ready\n')) { t0 = now(); pump(); }
    const m = /read (\d+) bytes/.exec(d.toString());
    if (!m) return;
    const ns = Number(now() - t0);
    if (Number(m[1]) !== total) process.exit(1);
    console.log(JSON.stringify({ what: 'node spawn throughput', bytes: total, ns, bps: Math.round((total * 1e9) / ns) }));
  });
} else if (mode === 'start') {
  const n = Number(process.argv[3] || 50);
  const kind = process.argv[4] || 'spawn';
  const warm = Math.floor(n / 10);
  const times = [];
  const once = (done) => {
    const t0 = now();
    const end = (err) => {
      if (err) process.exit(1);
      times.push(Number(now() - t0));
      done();
    };
    if (kind === 'exec') exec('uname -s', end);
    else if (kind === 'fork') fork(__filename, ['quit']).on('exit', (code) => end(code !== 0));
    else if (kind === 'execFile') execFile('uname', ['-s'], end);
    else {
      const c = spawn('uname', ['-s']);
      c.stdout.on('data', () => {});
      c.on('close', (code) => end(code !== 0));
    }
  };
  let i = 0;
  const next = () => {
    if (i++ < n + warm) { once(next); return; }
    const v = times.slice(warm).sort((a, b) => a - b);
    console.log(JSON.stringify({ what: `node ${kind}`, n: v.length, p50: pct(v, 50), p99: pct(v, 99) }));
  };
  next();
} else {
  console.error('usage: node node_spawn.js pingpong N SIZE | throughput BYTES | start N spawn|execFile|exec');
  process.exit(2);
}
