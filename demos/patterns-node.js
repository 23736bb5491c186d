// patterns-node.js: the node side of the patterns demo's node steps, one
// script in four modes (the first argument):
//
//   lose      a child the C demo forked (channel at fd 3, JSON): on
//             {type:'lose', case} it builds the value (a Date, a Map, ...) and
//             process.send()s it, or tells what send() threw; on
//             {type:'echo', case, value} (the value back, as the C side read
//             it) it tells what arrived, as util.inspect shows it.
//   advanced  a node parent: forks this script (mode echo) with serialization
//             'json', then 'advanced', sends each the same rich message and
//             N small and N/10 large pings, one in flight, and prints one JSON
//             line of figures on its stdout for the demo to read.
//   echo      the child of advanced: every message back as it came.
//   inspect   what a child started with --inspect-brk runs once a debugger
//             lets it go: a ping's pong; 'disconnect' ends it.
//
// Under ipcscope it reports events as the C processes do: JSON lines, one
// write() each, to the fd named in IPCSCOPE_EVENT_FD.
'use strict';
const { fork } = require('child_process');
const fs = require('fs');
const util = require('util');
const v8 = require('v8');

const mode = process.argv[2];
const eventFd = process.env.IPCSCOPE_EVENT_FD ? Number(process.env.IPCSCOPE_EVENT_FD) : -1;
const asText = process.env.IPCSCOPE_EVENT_FORMAT === 'text';

function emit(ev, fields) {
  if (eventFd < 0) return;
  const line = asText
    ? `[node ${mode} ${process.pid}] ${fields.text || `${ev === 'chan' ? `channel ${fields.id}` : `${fields.role} ${fields.proc}`} ${fields.state}`}\n`
    : JSON.stringify({ v: 1, ev, t: Number(process.hrtime.bigint()), pid: process.pid, ...fields }) + '\n';
  const buf = Buffer.from(line);
  if (buf.length <= 4096) fs.writeSync(eventFd, buf); // one write: whole in the pipe
}
const log = (text) => emit('log', { text });
const show = (v) => util.inspect(v, { breakLength: Infinity, maxArrayLength: 8 });
// A parent gone mid-send is an EPIPE on the channel: 'disconnect' follows.
const send = (msg) => { if (process.connected) process.send(msg, (err) => err && process.exit(0)); };
process.on('disconnect', () => process.exit(0));

// ---- lose: what JSON.stringify does to each, on the fork channel ----------
const cases = {
  date: () => new Date(0),
  map: () => new Map([['a', 1], ['b', 2]]),
  set: () => new Set([1, 2, 3]),
  undefined_property: () => ({ a: undefined, b: 1 }),
  undefined_in_array: () => [1, undefined, 3],
  undefined_message: () => undefined,
  bigint: () => 10n ** 20n,
  nan: () => [NaN, Infinity, -0],
  buffer: () => Buffer.from('hi!'),
};

function lose(msg) {
  const make = cases[msg.case];
  if (!make) return;
  const value = make();
  try {
    // The whole message is the value in one case: child.send(undefined).
    if (msg.case === 'undefined_message') process.send(value);
    else process.send({ type: 'value', case: msg.case, shown: show(value), value });
  } catch (e) {
    send({ type: 'threw', case: msg.case, shown: show(value), error: `${e.name}: ${e.message}`,
      code: e.code || null });
  }
}

function arrived(msg) {
  const v = msg.value;
  const kind = v === null ? 'null' : Array.isArray(v) ? 'Array' : typeof v === 'object' ? v.constructor.name : typeof v;
  send({ type: 'arrived', case: msg.case, shown: show(v), kind });
}

// ---- advanced: 'json' against 'advanced', node to node --------------------
function largeObject() {
  const users = [];
  for (let i = 0; i < 1000; i++)
    users.push({ id: i, name: `user ${i}`, email: `user${i}@example.org`, active: i % 3 !== 0,
      score: i * 1.5, tags: ['logging', 'monitoring'] });
  return { type: 'large', users };
}

function rich(serialization) {
  const m = { type: 'rich', date: new Date(0), map: new Map([['a', 1]]), set: new Set([1, 2]),
    undef: undefined, nan: NaN, buf: Buffer.from([1, 2, 3]) };
  if (serialization === 'advanced') m.big = 10n ** 20n; // JSON.stringify would throw
  return m;
}

function survived(m) {
  return { date: m.date instanceof Date, map: m.map instanceof Map, set: m.set instanceof Set,
    undefined: 'undef' in m, nan: Number.isNaN(m.nan), buffer: Buffer.isBuffer(m.buf),
    bigint: typeof m.big === 'bigint' };
}

// The bytes one message takes on the wire: a line of JSON and its newline,
// or V8's serializer (header ff 0f) after a 4-byte big-endian length.
function wireBytes(serialization, m) {
  return serialization === 'json' ? Buffer.byteLength(JSON.stringify(m)) + 1 : v8.serialize(m).length + 4;
}

function pingPong(child, msgs) {
  return new Promise((resolve) => {
    let i = 0;
    const t0 = process.hrtime.bigint();
    const next = () => {
      if (i === msgs.length) {
        child.off('message', next);
        resolve(Number(process.hrtime.bigint() - t0));
        return;
      }
      child.send(msgs[i++]);
    };
    child.on('message', next);
    next();
  });
}

async function measure(serialization, n) {
  const child = fork(__filename, ['echo'], { serialization, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  emit('proc', { state: 'start', proc: child.pid, ppid: process.pid, role: `node ${serialization} child` });
  emit('chan', { state: 'open', id: `node ${serialization}`, kind: 'socketpair', a: process.pid, b: child.pid,
    detail: `fork(..., {serialization: '${serialization}'})` });
  const back = await new Promise((resolve) => { child.once('message', resolve); child.send(rich(serialization)); });
  const out = { survived: survived(back) };
  const small = [], large = [], big = largeObject();
  for (let i = 0; i < n; i++) small.push({ type: 'ping', id: i + 1 });
  for (let i = 0; i < Math.max(1, n / 10); i++) large.push(big);
  await pingPong(child, small.slice(0, 10)); // both ends warm before the clock
  for (const [name, msgs] of [['small', small], ['large', large]]) {
    const ns = await pingPong(child, msgs);
    out[name] = { trips: msgs.length, ns, trips_per_s: msgs.length / (ns / 1e9),
      bytes: wireBytes(serialization, msgs[0]) };
    log(`serialization '${serialization}': ${msgs.length} ${name} round trips, ` +
      `${Math.round(out[name].trips_per_s)}/s, ${out[name].bytes} bytes a message`);
  }
  const code = await new Promise((resolve) => { child.once('exit', resolve); child.disconnect(); });
  emit('chan', { state: 'close', id: `node ${serialization}`, kind: 'socketpair', a: process.pid, b: child.pid });
  emit('proc', { state: 'exit', proc: child.pid, ppid: process.pid, role: `node ${serialization} child`, code });
  return out;
}

async function advanced(n) {
  const result = { type: 'result', version: process.version };
  result.json = await measure('json', n);
  result.advanced = await measure('advanced', n);
  const framed = v8.serialize({ type: 'ping', id: 1 });
  const len = Buffer.alloc(4);
  len.writeUInt32BE(framed.length);
  result.ping_frame = Buffer.concat([len, framed]).toString('hex');
  process.stdout.write(JSON.stringify(result) + '\n');
}

if (mode === 'lose') {
  process.on('message', (msg) => {
    if (msg && msg.type === 'lose') lose(msg);
    else if (msg && msg.type === 'echo') arrived(msg);
  });
  send({ type: 'hello', version: process.version });
} else if (mode === 'echo') {
  process.on('message', (m) => send(m));
} else if (mode === 'advanced') {
  const n = Math.min(Math.max(Number(process.argv[3]) || 1000, 10), 1000000);
  process.removeAllListeners('disconnect');
  advanced(n).catch((e) => { process.stderr.write(`${e.stack}\n`); process.exit(1); });
} else if (mode === 'inspect') {
  log('the script runs: a debugger let it go');
  process.on('message', (m) => m && m.type === 'ping' && send({ ...m, type: 'pong' }));
} else {
  process.stderr.write('patterns-node.js: mode lose, advanced N, echo or inspect\n');
  process.exit(2);
}
