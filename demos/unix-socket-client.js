// unix-socket-client.js: the client of 'Six ways processes talk in Node.js', net.connect('/tmp/app.sock'),
// as a real peer of `unix-socket --listen PATH`.
//
//   node build/demos/unix-socket-client.js PATH [COUNT]
//   node build/demos/unix-socket-client.js @NAME [COUNT]   (an abstract name)
//
// The article writes 'ping' and prints whatever 'data' brings. A stream keeps no
// message boundaries, so this client ends each message with "\n" and cuts
// what it reads at "\n": one line is one message, as the server expects.
'use strict';
const net = require('net');

const [path = '/tmp/app.sock', n = '3'] = process.argv.slice(2);
const count = Math.max(1, Number(n) || 3);
// Node takes an abstract name as a path that starts with a NUL byte.
const address = path.startsWith('@') ? '\0' + path.slice(1) : path;

const client = net.connect(address);
client.setEncoding('utf8');
let sent = 0;
let answered = 0;
let pending = '';
let t0 = 0n;

function ping() {
  sent++;
  t0 = process.hrtime.bigint();
  client.write(`ping ${sent} from node ${process.pid}\n`);
}

client.on('connect', () => {
  console.log(`connected to ${path}`);
  ping();
});

client.on('data', (chunk) => {
  pending += chunk;
  let nl;
  while ((nl = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, nl);
    pending = pending.slice(nl + 1);
    if (line.startsWith('error: ')) {
      console.log(line);
      process.exitCode = 3;
      continue;
    }
    answered++;
    const us = Number(process.hrtime.bigint() - t0) / 1000;
    console.log(`${line}  (${us.toFixed(1)} us)`);
    if (answered < count) ping();
    else client.end();
  }
});

client.on('error', (err) => {
  console.error(`error: ${err.message}`);
  process.exitCode = 1;
});

client.on('close', () => console.log(`closed after ${answered} answers`));
