// udp-client.js: the articles' dgram client, as a real peer of the udp demo's
// server (or of the articles' own server.js, which answers the same way).
//
//   node udp-client.js PORT [HOST] [COUNT] [MESSAGE]
//
// It sends COUNT datagrams (default 1) of MESSAGE (default the articles'
// 'Hello UDP Server!', numbered when COUNT > 1), prints each answer, and
// exits 0 once every one is answered, or 1 after a second of silence:
// a datagram may be lost, and UDP will not say so.
'use strict';
const dgram = require('dgram');

const port = Number(process.argv[2]);
const host = process.argv[3] || '127.0.0.1';
const count = Number(process.argv[4] || 1);
const text = process.argv[5] || 'Hello UDP Server!';
if (!Number.isInteger(port) || port <= 0 || port > 65535 || !(count >= 1)) {
  console.error('usage: node udp-client.js PORT [HOST] [COUNT] [MESSAGE]');
  process.exit(2);
}

const client = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
let answered = 0;
let timer = null;

function giveUp() {
  console.error(`no answer for 1 s: ${answered} of ${count} answered`);
  client.close();
  process.exitCode = 1;
}

// Receive the server's reply
client.on('message', (msg, rinfo) => {
  console.log(`Client received reply: "${msg}" from ${rinfo.address}:${rinfo.port}`);
  clearTimeout(timer);
  if (++answered === count) client.close();
  else timer = setTimeout(giveUp, 1000);
});

client.on('error', (err) => {
  console.error('Client error:', err.message);
  client.close();
  process.exitCode = 1;
});

// Send the messages to the server
for (let i = 1; i <= count; i++) {
  const message = Buffer.from(count > 1 ? `${text} #${i}` : text);
  client.send(message, port, host, (err) => {
    if (err) console.error('Send error:', err.message);
  });
}
timer = setTimeout(giveUp, 1000);
