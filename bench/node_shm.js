// node_shm.js: article 000's SharedArrayBuffer + Worker Threads, timed the
// way the shared-memory demo's --measure times its two threads in C: a
// round trip is "ping = i" by the main thread and "pong = i" by a worker,
// each side on its own Int32Array word of one SharedArrayBuffer.
//
//   node node_shm.js N      N timed round trips each way (after N/10 to warm up)
//
//   spin:  each side loops on Atomics.load until the other's word moves
//          (a core burnt on each side, as the C row's spin);
//   futex: each side sleeps in Atomics.wait and is woken by the other's
//          Atomics.notify (a futex wait and wake underneath, as in C).
//
// One JSON line on stdout: {"n","spin_p50_ns","spin_p99_ns","futex_p50_ns",
// "futex_p99_ns"}, the field names of the shared-memory demo's measure.
'use strict';
const { Worker, isMainThread, workerData, parentPort } = require('worker_threads');

const PING = 0, PONG = 1, MODE = 2, SPIN = 1, FUTEX = 2, STOP = 3;

if (!isMainThread) {
  const a = new Int32Array(workerData);
  for (let i = 1; ; i++) {
    // until the main thread's word leaves i - 1 (for i, or for the stop)
    if (Atomics.load(a, MODE) === SPIN) {
      while (Atomics.load(a, PING) === i - 1) {}
    } else {
      while (Atomics.load(a, PING) === i - 1) Atomics.wait(a, PING, i - 1);
    }
    if (Atomics.load(a, MODE) === STOP) break;
    Atomics.store(a, PONG, i);
    Atomics.notify(a, PONG, 1);
  }
  parentPort.postMessage('done');
  return;
}

const n = Number(process.argv[2]);
if (!(n > 0)) {
  console.error('usage: node node_shm.js N');
  process.exit(2);
}
const sab = new SharedArrayBuffer(4 * 4);
const a = new Int32Array(sab);
Atomics.store(a, MODE, SPIN); // the worker's first trip spins, as the first timed ones
const pct = (v, p) => v[Math.min(v.length - 1, Math.floor(v.length * p))];

// Both sides count trips from 1 across both modes: the worker reads the mode
// before each trip (a trip it began spinning ends when PING moves, whatever
// the mode has become), and the main thread's i goes on from where it was.
// The futex side always notifies: a worker may be asleep in Atomics.wait.
let i = 0;
function trips(mode, count) {
  Atomics.store(a, MODE, mode);
  const t = new Array(count);
  for (let k = 0; k < count; k++) {
    i++;
    const t0 = process.hrtime.bigint();
    Atomics.store(a, PING, i);
    if (mode === SPIN) {
      while (Atomics.load(a, PONG) !== i) {}
    } else {
      Atomics.notify(a, PING, 1);
      while (Atomics.load(a, PONG) !== i) Atomics.wait(a, PONG, i - 1);
    }
    t[k] = Number(process.hrtime.bigint() - t0);
  }
  return t.sort((x, y) => x - y);
}

const w = new Worker(__filename, { workerData: sab });
w.once('online', () => {
  const warm = Math.max(1, Math.floor(n / 10));
  trips(SPIN, warm);
  const spin = trips(SPIN, n);
  trips(FUTEX, warm);
  const futex = trips(FUTEX, n);
  w.once('message', () => {
    process.stdout.write(JSON.stringify({
      n, spin_p50_ns: pct(spin, 0.5), spin_p99_ns: pct(spin, 0.99),
      futex_p50_ns: pct(futex, 0.5), futex_p99_ns: pct(futex, 0.99),
    }) + '\n');
  });
  Atomics.store(a, MODE, STOP);
  Atomics.store(a, PING, i + 1);
  Atomics.notify(a, PING, 1);
});
