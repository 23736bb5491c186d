// node_fswatch.js: article 001's "file + fs.watch", timed the way the
// fs-watch demo's step 7 times it in C: a writer process saves SAVES
// messages 10 ms apart, the fixed way (a temporary file renamed over
// msg.json), each carrying "t", its save's process.hrtime (CLOCK_MONOTONIC,
// the same clock in both processes); this process hears of each save two
// ways and times the save to its parse:
//
//   inotify: fs.watch on the directory (inotify underneath), then
//            readFileSync and JSON.parse, as article 001's code does;
//   poll:    fs.watchFile, a stat() every POLL_MS, then the same read.
//
//   node node_fswatch.js SAVES [POLL_MS]    (POLL_MS 100 by default)
//
// One JSON line on stdout: {"saves","inotify_count","poll_count",
// "inotify_p50_ns","inotify_p99_ns","poll_p50_ns","poll_p99_ns"}, the field
// names of the fs-watch demo's measure. Polling sees the saves that are
// there at its stat()s, one in about POLL_MS / 10.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');

if (process.argv[2] === 'writer') {
  const [dir, saves] = [process.argv[3], Number(process.argv[4])];
  const file = path.join(dir, 'msg.json'), tmp = path.join(dir, 'msg.json.tmp');
  let seq = 0;
  const save = () => {
    seq++;
    fs.writeFileSync(tmp, JSON.stringify({ seq, t: process.hrtime.bigint().toString() }));
    fs.renameSync(tmp, file);
    if (seq < saves) setTimeout(save, 10);
  };
  save();
  return;
}

const saves = Number(process.argv[2]), pollMs = Number(process.argv[3] || 100);
if (!(saves > 0) || !(pollMs > 0)) {
  console.error('usage: node node_fswatch.js SAVES [POLL_MS]');
  process.exit(2);
}
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-fswatch-'));
const file = path.join(dir, 'msg.json');
const ways = { inotify: { last: 0, t: [] }, poll: { last: 0, t: [] } };

// The save to its parse; a save heard twice (several events) counts once.
function heard(way) {
  let msg;
  try {
    msg = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    return; /* not there yet */
  }
  const now = process.hrtime.bigint();
  const w = ways[way];
  if (msg.seq <= w.last) return;
  w.last = msg.seq;
  w.t.push(Number(now - BigInt(msg.t)));
}

const watcher = fs.watch(dir, (ev, name) => {
  if (name === 'msg.json') heard('inotify');
});
fs.watchFile(file, { interval: pollMs }, (cur) => {
  if (cur.ino) heard('poll');
});

const writer = spawn(process.execPath, [__filename, 'writer', dir, String(saves)], { stdio: 'inherit' });
writer.on('exit', () => setTimeout(() => {
  watcher.close();
  fs.unwatchFile(file);
  fs.rmSync(dir, { recursive: true, force: true });
  const out = { saves, inotify_count: ways.inotify.t.length, poll_count: ways.poll.t.length };
  for (const k of ['inotify', 'poll']) {
    const v = ways[k].t.sort((x, y) => x - y);
    if (!v.length) continue;
    out[`${k}_p50_ns`] = v[Math.floor(v.length / 2)];
    out[`${k}_p99_ns`] = v[Math.min(v.length - 1, Math.floor(v.length * 0.99))];
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}, 3 * pollMs));
