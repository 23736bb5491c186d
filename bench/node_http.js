// node_http.js: node on the work of bench_http, with the same output: a
// server (its own process, as node_sock.js's) and a client, both node.
//
//   node node_http.js get N   N keep-alive round trips (after N/10 to warm
//                             up): http.get() with a keep-alive agent of one
//                             socket against http.createServer answering
//                             'pong', timed to the response's 'end'
//   node node_http.js ws N    N WebSocket round trips of a 64-byte text
//                             message, node's own WebSocket client (node 22,
//                             or 20.10+ with --experimental-websocket)
//                             against a server that echoes each frame
//   node node_http.js server  the server (a child process); prints its port
//
// Node has no WebSocket server: the child's 'upgrade' handler below answers
// the handshake and echoes frames, small ones only (the bench sends 64 B).
'use strict';
const http = require('http');
const crypto = require('crypto');
const { spawn } = require('child_process');

const [mode, arg] = process.argv.slice(2);
const MSG = 64;
const now = () => process.hrtime.bigint();
const pct = (v, p) => v[Math.max(0, Math.ceil((p / 100) * v.length) - 1)];

function serve() {
  const s = http.createServer((q, r) => r.end('pong'));
  s.keepAliveTimeout = 0;
  s.on('upgrade', (req, sock) => {
    const accept = crypto.createHash('sha1')
      .update(req.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
    sock.setNoDelay(true);
    sock.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
               `Sec-WebSocket-Accept: ${accept}\r\n\r\n`);
    let buf = Buffer.alloc(0);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) { // a client's frame: FIN+opcode, MASK+length (7 or 16 bits), the mask, the payload
        if (buf.length < 2) return;
        let len = buf[1] & 0x7f;
        let off = 2;
        if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
        if (buf.length < off + 4 + len) return;
        const mask = buf.subarray(off, off + 4);
        const data = Buffer.from(buf.subarray(off + 4, off + 4 + len));
        for (let i = 0; i < len; i++) data[i] ^= mask[i & 3];
        const op = buf[0] & 0x0f;
        buf = buf.subarray(off + 4 + len);
        if (op === 8) { sock.end(); return; }
        const head = len < 126 ? Buffer.from([0x80 | op, len]) : Buffer.from([0x80 | op, 126, len >> 8, len & 0xff]);
        sock.write(Buffer.concat([head, data]));
      }
    });
    sock.on('error', () => {});
  });
  s.listen(0, '127.0.0.1', () => process.stdout.write(`${s.address().port}\n`));
  process.stdin.on('end', () => process.exit(0)); // the parent is gone
  process.stdin.resume();
}

function report(what, rtts) {
  rtts.sort((a, b) => a - b);
  console.log(JSON.stringify({ what, n: rtts.length, p50: pct(rtts, 50), p99: pct(rtts, 99) }));
}

// Starts the server child; cb(port, stop).
function server(cb) {
  const c = spawn(process.execPath, [__filename, 'server'], { stdio: ['pipe', 'pipe', 'inherit'] });
  c.stdout.once('data', (d) => cb(Number(d.toString()), () => c.stdin.end()));
}

function get(n) {
  const warm = Math.floor(n / 10);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const rtts = [];
  server((port, stop) => {
    let i = 0;
    const once = () => {
      const t0 = now();
      http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        res.on('data', () => {});
        res.on('end', () => {
          if (i++ >= warm) rtts.push(Number(now() - t0));
          if (rtts.length < n) { once(); return; }
          report('node http keep-alive round trip', rtts);
          agent.destroy();
          stop();
        });
      }).on('error', (e) => { console.error(`node_http: ${e.message}`); process.exit(1); });
    };
    once();
  });
}

function ws(n) {
  if (typeof WebSocket !== 'function') {
    console.error(`node_http: node ${process.version} has no WebSocket client (node 22, or 20.10+ with --experimental-websocket)`);
    process.exit(3);
  }
  const warm = Math.floor(n / 10);
  const msg = 'x'.repeat(MSG);
  const rtts = [];
  server((port, stop) => {
    const c = new WebSocket(`ws://127.0.0.1:${port}/`);
    let i = 0;
    let t0 = 0n;
    const ping = () => { t0 = now(); c.send(msg); };
    c.onopen = ping;
    c.onerror = () => { console.error('node_http: the WebSocket failed'); process.exit(1); };
    c.onmessage = () => {
      if (i++ >= warm) rtts.push(Number(now() - t0));
      if (rtts.length < n) { ping(); return; }
      report('node websocket round trip', rtts);
      c.close();
      stop();
    };
  });
}

if (mode === 'server') serve();
else if (mode === 'get') get(Number(arg || 20000));
else if (mode === 'ws') ws(Number(arg || 20000));
else {
  console.error('usage: node node_http.js get|ws N');
  process.exit(2);
}
