// fork-ipc-child.js: the child of `fork-ipc --child node`, and the articles'
// child.js grown to answer what the demo sends. It speaks first, unprompted,
// {foo: 'bar'} (as sub.js does), then answers {hello} -> {received: true},
// {type: 'start'} -> {result: 'ok'}, ping -> pong, getUser -> the user, a
// passed server -> one connection served. Its C twin is demos/fork-ipc/child.c.
// Under ipcscope it reports events like the C child, as JSON lines written
// with one write() each to the fd named in IPCSCOPE_EVENT_FD.
'use strict';
const fs = require('fs');

const eventFd = process.env.IPCSCOPE_EVENT_FD ? Number(process.env.IPCSCOPE_EVENT_FD) : -1;
const asText = process.env.IPCSCOPE_EVENT_FORMAT === 'text';
const parent = process.ppid;

function emit(ev, fields) {
  if (eventFd < 0) return;
  const line = asText
    ? `[node child ${process.pid}] ${fields.text || fields.summary || fields.state || ev}\n`
    : JSON.stringify({ v: 1, ev, t: Number(process.hrtime.bigint()), pid: process.pid, ...fields }) + '\n';
  const buf = Buffer.from(line);
  if (buf.length <= 4096) fs.writeSync(eventFd, buf); // one write: whole in the pipe
}
const log = (text) => emit('log', { text });
function trace(dir, msg) {
  const text = JSON.stringify(msg);
  const from = dir === 'send' ? process.pid : parent;
  const to = dir === 'send' ? parent : process.pid;
  emit('msg', { dir, chan: 'ipc', from, to, id: typeof msg.id === 'number' ? msg.id : 0,
    bytes: Buffer.byteLength(text) + 1, summary: text.length > 200 ? text.slice(0, 199) + '…' : text });
}
function send(msg) {
  trace('send', msg);
  process.send(msg);
}

emit('proc', { state: 'start', proc: process.pid, ppid: parent, role: 'node child' });
log('node opened NODE_CHANNEL_FD=3 itself before this script ran: process.send and process.on(\'message\') are ready');
emit('proc', { state: 'ready', proc: process.pid, ppid: parent, role: 'node child' });

process.on('message', (msg, handle) => {
  trace('recv', msg);
  if (handle) {
    log('a net.Server arrived with the message; node sent NODE_HANDLE_ACK and listens on it');
    handle.once('connection', (sock) => {
      log('accept() on the passed socket: a client connected; answering it');
      sock.end(`hello from node child ${process.pid}, on a socket its parent passed over the channel\n`);
      handle.close();
      send({ type: 'served', pid: process.pid });
    });
  } else if (msg && msg.hello) send({ received: true });
  else if (msg && msg.type === 'start') send({ result: 'ok' });
  else if (msg && msg.type === 'ping') send({ ...msg, type: 'pong' });
  else if (msg && msg.action === 'getUser') {
    send({ id: msg.id, status: 'success', data: { id: msg.params.id, name: 'Ada Lovelace', email: 'ada@example.org' } });
  } else send({ received: true });
});

send({ foo: 'bar' });

process.on('disconnect', () => {
  log('the parent disconnected: node emits \'disconnect\'; exiting 0');
  process.exit(0);
});
