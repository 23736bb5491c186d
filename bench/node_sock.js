// node_sock.js: node doing the socket demos' work, next to bench_sock's raw
// floors and the demos themselves, with the same arguments and output.
//
//   node node_sock.js MECH pingpong N     N timed round trips of 64 bytes
//                                         (after N/10 to warm up)
//   node node_sock.js MECH stream BYTES   one-way throughput, 64 KiB writes
//                                         (8 KiB datagrams for udp)
//   node node_sock.js MECH server ...     the server side (a child process)
//
// MECH: unix (net on a socket path in a private directory), tcp (net on
// 127.0.0.1, noDelay on), udp (dgram on 127.0.0.1).
// BENCH_CHILD_CPU=N pins the server to CPU N (through taskset), as bench_sock
// pins its own.
'use strict';
const net = require('net');
const dgram = require('dgram');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');

const [mech, mode, arg] = process.argv.slice(2);
const MSG = 64;
const CHUNK = 64 * 1024;
const DGRAM = 8192;

function usage() {
  console.error('usage: node node_sock.js unix|tcp|udp pingpong N | stream BYTES');
  process.exit(2);
}

// ---- the server, in its own process -------------------------------------

function serve(kind, where) {
  const say = (addr) => process.stdout.write(JSON.stringify(addr) + '\n');
  if (mech === 'udp') {
    const s = dgram.createSocket('udp4');
    let got = 0;
    let dgrams = 0;
    s.on('message', (m, rinfo) => {
      if (kind === 'pingpong') {
        if (m.length === 0) return s.close();
        s.send(m, rinfo.port, rinfo.address);
      } else if (m.length === 0) {
        const a = Buffer.alloc(16);
        a.writeBigUInt64LE(BigInt(got), 0);
        a.writeBigUInt64LE(BigInt(dgrams), 8);
        s.send(a, rinfo.port, rinfo.address, () => s.close());
      } else {
        got += m.length;
        dgrams++;
      }
    });
    s.bind(0, '127.0.0.1', () => {
      if (kind === 'stream') s.setRecvBufferSize(8 * 1024 * 1024);
      say({ port: s.address().port });
    });
    return;
  }
  const server = net.createServer({ noDelay: true }, (c) => {
    server.close();
    c.on('error', () => c.destroy()); // the client was stopped: just end
    if (kind === 'pingpong') {
      // A stream has no boundaries: echo every byte, as the raw floor does.
      c.on('data', (d) => c.write(d));
    } else {
      let got = 0;
      c.on('data', (d) => { got += d.length; });
      c.on('end', () => {
        const a = Buffer.alloc(16);
        a.writeBigUInt64LE(BigInt(got), 0);
        c.end(a);
      });
    }
  });
  if (mech === 'unix') server.listen(where, () => say({ path: where }));
  else server.listen(0, '127.0.0.1', () => say({ port: server.address().port }));
}

// ---- the client -----------------------------------------------------------

function startServer(kind, cb) {
  let dir = null;
  let where = '';
  if (mech === 'unix') {
    dir = fs.mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(), 'ipcscope-bench-node.'));
    // Ctrl-C or kill: the socket file and its directory go too.
    for (const sig of ['SIGINT', 'SIGTERM']) {
      process.on(sig, () => { fs.rmSync(dir, { recursive: true, force: true }); process.exit(1); });
    }
    where = path.join(dir, 'bench.sock');
  }
  const cpu = process.env.BENCH_CHILD_CPU;
  const argv = [__filename, mech, 'server', kind, where];
  const child = cpu
    ? spawn('taskset', ['-c', cpu, process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout.once('data', (d) => cb(JSON.parse(d.toString().split('\n')[0]), child, () => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }));
}

function percentile(sorted, p) {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

function pingpong(n) {
  const warm = Math.floor(n / 10);
  const msg = Buffer.alloc(MSG, 'x');
  const rtts = [];
  startServer('pingpong', (addr, child, cleanup) => {
    let i = 0;
    let t0;
    let have = 0;
    const done = (send) => {
      rtts.sort((a, b) => a - b);
      const mean = rtts.reduce((a, b) => a + b, 0) / rtts.length;
      console.log(JSON.stringify({ what: `node ${mech} ping-pong`, n: rtts.length,
        p50: percentile(rtts, 50), p99: percentile(rtts, 99), mean: Math.round(mean) }));
      send();
      child.on('exit', cleanup);
    };
    const answered = () => {
      const rtt = Number(process.hrtime.bigint() - t0);
      if (i++ >= warm) rtts.push(rtt);
      return rtts.length < n;
    };
    if (mech === 'udp') {
      const s = dgram.createSocket('udp4');
      s.on('message', () => {
        if (answered()) { t0 = process.hrtime.bigint(); s.send(msg); }
        else done(() => s.send(Buffer.alloc(0), () => s.close()));
      });
      s.connect(addr.port, '127.0.0.1', () => { t0 = process.hrtime.bigint(); s.send(msg); });
      return;
    }
    const c = mech === 'unix' ? net.connect(addr.path) : net.connect({ port: addr.port, host: '127.0.0.1', noDelay: true });
    c.on('connect', () => { t0 = process.hrtime.bigint(); c.write(msg); });
    c.on('data', (d) => {
      have += d.length;
      while (have >= MSG) {
        have -= MSG;
        if (answered()) { t0 = process.hrtime.bigint(); c.write(msg); }
        else return done(() => c.end());
      }
    });
  });
}

function stream(bytes) {
  const chunk = Buffer.alloc(mech === 'udp' ? DGRAM : CHUNK, 'x');
  startServer('stream', (addr, child, cleanup) => {
    const finish = (answer, t0, extra) => {
      const got = Number(answer.readBigUInt64LE(0));
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      console.log(JSON.stringify({ what: `node ${mech} stream`, bytes: got,
        mb_s: Math.round((got / 1e6 / secs) * 10) / 10, ...extra }));
      child.on('exit', cleanup);
    };
    if (mech === 'udp') {
      const s = dgram.createSocket('udp4');
      let sent = 0;
      let dgrams = 0;
      let t0;
      let ended = false;
      s.on('message', (a) => {
        if (ended) return;
        ended = true;
        const got = Number(a.readBigUInt64LE(8));
        finish(a, t0, { sent: dgrams, lost: dgrams - Math.min(got, dgrams) });
        s.close();
      });
      // Like the raw floor, keep sending the end mark until it is answered.
      const end = () => { if (!ended) { s.send(Buffer.alloc(0)); setTimeout(end, 200); } };
      const pump = () => {
        // A burst, then back to the loop so that send callbacks can run.
        for (let k = 0; k < 64 && sent < bytes; k++) {
          const len = Math.min(chunk.length, bytes - sent);
          s.send(chunk.subarray(0, len));
          sent += len;
          dgrams++;
        }
        if (sent < bytes) setImmediate(pump);
        else end();
      };
      s.connect(addr.port, '127.0.0.1', () => { t0 = process.hrtime.bigint(); pump(); });
      return;
    }
    const c = mech === 'unix' ? net.connect(addr.path) : net.connect({ port: addr.port, host: '127.0.0.1', noDelay: true });
    let sent = 0;
    let t0;
    const bufs = [];
    const pump = () => {
      while (sent < bytes) {
        const len = Math.min(chunk.length, bytes - sent);
        sent += len;
        if (!c.write(chunk.subarray(0, len))) return c.once('drain', pump);
      }
      c.end();
    };
    c.on('connect', () => { t0 = process.hrtime.bigint(); pump(); });
    c.on('data', (d) => bufs.push(d));
    c.on('end', () => finish(Buffer.concat(bufs), t0, {}));
  });
}

if (!['unix', 'tcp', 'udp'].includes(mech)) usage();
if (mode === 'server') serve(arg, process.argv[5]);
else if (mode === 'pingpong' && Number(arg) > 0) pingpong(Number(arg));
else if (mode === 'stream' && Number(arg) > 0) stream(Number(arg));
else usage();
