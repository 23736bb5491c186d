// node_spawn.js: node's child_process on the same work as bench_pipe and the
// stdio-pipe demo, each printing one JSON line.
//   node node_spawn.js pingpong N SIZE  spawn a node child that writes back
//                                       what arrives on its stdin; N round
//                                       trips of one line, after N/10 to warm up;
//                                       "threads" is this node's count, from
//                                       /proc/self/status, once they are done
//   node node_spawn.js fifo N SIZE      the same over two FIFOs (mkfifo: node
//                                       has no call for it), each end opened
//                                       by path and read as a net.Socket, the
//                                       way node reads a pipe
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
const { spawn, exec, execFile, execFileSync, fork } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const mode = process.argv[2];
const now = () => process.hrtime.bigint();
const pct = (v, p) => v[Math.max(0, Math.ceil((p / 100) * v.length) - 1)];
const child = (role) => spawn(process.execPath, [__filename, role], { stdio: ['pipe', 'pipe', 'inherit'] });

// Threads: from the kernel's view of this process, not from node's.
const threads = () => Number((/^Threads:\s*(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8')) || [])[1] || 0);

// N round trips of one line: written to out, the same bytes back on inp.
function pingpong(what, out, inp, n, size, done) {
  const warm = Math.floor(n / 10);
  const pad = 'x'.repeat(size);
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
    out.write(line);
  };
  inp.on('data', (d) => {
    pending -= d.length;
    if (pending > 0) return;
    const rtt = Number(now() - t0);
    if (i++ >= warm) rtts.push(rtt);
    if (rtts.length < n) { ping(); return; }
    rtts.sort((a, b) => a - b);
    console.log(JSON.stringify({ what, n: rtts.length, p50: pct(rtts, 50), p99: pct(rtts, 99), bytes, threads: threads() }));
    done();
  });
  ping();
}

if (mode === 'echo') {
  process.stdin.on('data', (d) => process.stdout.write(d));
} else if (mode === 'fifo-echo') {
  // The parent holds up's read end open already: ours opens at once.
  const inp = new net.Socket({ fd: fs.openSync(process.argv[3], fs.constants.O_RDONLY | fs.constants.O_NONBLOCK), readable: true, writable: false });
  const out = new net.Socket({ fd: fs.openSync(process.argv[4], fs.constants.O_WRONLY), readable: false, writable: true });
  inp.on('data', (d) => out.write(d));
  inp.on('end', () => out.end());
} else if (mode === 'fifo') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-fifo-'));
  const down = path.join(dir, 'down.fifo');
  const up = path.join(dir, 'up.fifo');
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  execFileSync('mkfifo', ['-m', '600', down, up]);
  // A blocking open() of a FIFO waits for its other end: the read end first,
  // non-blocking; the write end in the thread pool, until the child reads.
  const inp = new net.Socket({ fd: fs.openSync(up, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK), readable: true, writable: false });
  const c = spawn(process.execPath, [__filename, 'fifo-echo', down, up], { stdio: 'inherit' });
  fs.open(down, 'w', (err, fd) => {
    if (err) process.exit(1);
    const out = new net.Socket({ fd, readable: false, writable: true });
    pingpong('node fifo ping-pong', out, inp, Number(process.argv[3] || 20000), Number(process.argv[4] || 64), () => {
      out.end();
      inp.destroy();
      c.on('exit', () => process.exit(0));
    });
  });
} else if (mode === 'quit') {
  process.disconnect(); // a forked child that leaves at once: fork's start cost
} else if (mode === 'sink') {
  let n = 0;
  process.stdout.write('ready\n'); // the parent's clock starts now
  process.stdin.on('data', (d) => { n += d.length; });
  process.stdin.on('end', () => process.stdout.write(`read ${n} bytes\n`));
} else if (mode === 'pingpong') {
  const c = child('echo');
  pingpong('node spawn ping-pong', c.stdin, c.stdout, Number(process.argv[3] || 20000), Number(process.argv[4] || 64), () => c.stdin.end());
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
  console.error('usage: node node_spawn.js pingpong|fifo N SIZE | throughput BYTES | start N spawn|execFile|exec');
  process.exit(2);
}
