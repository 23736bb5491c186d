// The chat client of 'IPC methods in Node.js', for the tcp demo's server (or the article's own).
//
//   node demos/tcp-client.js [HOST:]PORT [options] [LINE...]
//
//   LINE...            lines to send, one after the other, each once the echo
//                      of the one before is back (default: "Hello server!")
//   --broadcasts N     stay until N "Broadcast:" lines have come (default 0)
//   --timeout MS       give up after MS milliseconds (default 10000)
//
// It prints every line it receives, as the article does ("Received from
// server: ..."), and ends the connection when it has its echoes and the
// broadcasts it waits for. One change from the article: the article takes each
// 'data' event as one message, but TCP is a byte stream, so a 'data' event may
// hold half a line or three. Here the bytes are cut at each "\n" instead.
'use strict';
const net = require('net');

const args = process.argv.slice(2);
let target = null, broadcasts = 0, timeout = 10000;
const lines = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--broadcasts') broadcasts = Number(args[++i]);
  else if (args[i] === '--timeout') timeout = Number(args[++i]);
  else if (target === null) target = args[i];
  else lines.push(args[i]);
}
if (target === null) {
  console.error('usage: node tcp-client.js [HOST:]PORT [--broadcasts N] [--timeout MS] [LINE...]');
  process.exit(2);
}
if (lines.length === 0) lines.push('Hello server!');
const colon = target.lastIndexOf(':');
const HOST = colon > 0 ? target.slice(0, colon).replace(/^\[|\]$/g, '') : '127.0.0.1';
const PORT = Number(colon >= 0 ? target.slice(colon + 1) : target);

const client = new net.Socket();
client.setEncoding('utf8');
let next = 0, echoes = 0, heard = 0, pending = '';

function sendNext() {
  client.write(lines[next++] + '\n');
}

function maybeEnd() {
  if (echoes >= lines.length && heard >= broadcasts) client.end();
}

client.connect(PORT, HOST, () => {
  console.log(`Connected to server ${HOST}:${PORT}`);
  sendNext();
});

client.on('data', (data) => {
  pending += data;
  let nl;
  while ((nl = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, nl);
    pending = pending.slice(nl + 1);
    console.log(`Received from server: ${line}`);
    if (line.startsWith('Server echo: ') || line.startsWith('Server error: ')) {
      echoes++;
      if (next < lines.length) sendNext();
    } else if (line.startsWith('Broadcast: ')) {
      heard++;
    }
  }
  maybeEnd();
});

client.on('close', () => {
  console.log('Connection closed');
  process.exit(echoes >= lines.length ? 0 : 1);
});

client.on('error', (err) => {
  console.error('Client error:', err.message);
});

setTimeout(() => {
  console.error(`Client error: timed out after ${timeout} ms`);
  client.destroy();
}, timeout).unref();
